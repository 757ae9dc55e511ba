using System.Formats.Tar;
using System.Text.RegularExpressions;
using Sandbox.Images.Extraction;
using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images.Formats;

/// <summary>
/// One streaming pass over an image archive (oci-archive or docker-archive, optionally gzip/zstd
/// compressed): every regular file goes into the store as a blob, hashed on the way; a file named
/// blobs/sha256/HEX must hash to HEX. Returns archive path -> digest. Nothing is written by archive name.
/// </summary>
internal static partial class ArchiveIngest
{
    public static Dictionary<string, string> Ingest(ContentStore store, ImportSource source, ExtractionLimits limits)
    {
        string archive = source.Path;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        long remaining = limits.MaxTotalBytes;
        try
        {
            // The same budget as a layer of this size: a compressed archive may not expand without bound.
            using Stream stream = new MeteredStream(LayerDecompressor.Open(source.ReadPath, archive),
                limits.LayerBudget(source.Size, limits.MaxTotalBytes), archive, store.Interrupt);
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    continue;
                }

                if (files.Count >= limits.MaxEntries)
                {
                    throw new LimitExceededException($"more than {limits.MaxEntries} files");
                }

                string name = Normalize(entry.Name);
                Match m = BlobName().Match(name);
                string? expected = m.Success ? "sha256:" + m.Groups[1].Value : null;
                string digest = store.Ingest(entry.DataStream, expected, remaining, $"{archive}: {name}");
                remaining -= entry.Length;
                files[name] = digest;
            }
        }
        catch (DigestMismatchException e)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"digest mismatch in {e.Message}",
                "the archive is corrupt or was tampered with; nothing was registered");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or LimitExceededException)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{archive} is not a readable image archive: {e.Message}",
                "is the file complete? (a truncated download or copy shows up like this); nothing was registered");
        }

        return files;
    }

    /// <summary>The archive-relative path without "./" or a leading slash.</summary>
    public static string Normalize(string name) =>
        string.Join('/', name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));

    [GeneratedRegex("^blobs/sha256/([0-9a-f]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex BlobName();
}
