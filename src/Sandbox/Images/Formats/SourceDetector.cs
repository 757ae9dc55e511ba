using System.Formats.Tar;
using Sandbox.Images.Extraction;
using Sandbox.Runtime;

namespace Sandbox.Images.Formats;

/// <summary>The kinds of thing `image import PATH` accepts.</summary>
internal enum SourceKind
{
    OciLayout,
    OciArchive,
    DockerArchive,
    RootfsDirectory,
    RootfsTar,
}

/// <summary>
/// Tells what an opened import source is from its content: a directory is an OCI layout when it has
/// oci-layout or index.json; a file must start as a tar (plain, gzip or zstd), and its top-level
/// names say which archive it is (manifest.json: docker-archive; oci-layout/index.json: oci-archive;
/// else a root filesystem). Anything else is refused before the store is touched, saying what the
/// file looks like. The scan reads at most the layer budget for a file of that size.
/// </summary>
internal static class SourceDetector
{
    public static SourceKind Detect(ImportSource source, ExtractionLimits limits, CancellationToken ct = default)
    {
        if (source.IsDirectory)
        {
            return File.Exists(Path.Combine(source.ReadPath, "oci-layout")) || File.Exists(Path.Combine(source.ReadPath, "index.json"))
                ? SourceKind.OciLayout
                : SourceKind.RootfsDirectory;
        }

        byte[] head = new byte[4096];
        int n = RandomAccess.Read(source.Handle, head, 0);
        Packing packing = ContentSniffer.Classify(head.AsSpan(0, n));
        if (packing == Packing.Other)
        {
            throw NotAnImage(source, ContentSniffer.Describe(head.AsSpan(0, n), source.Size));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        int entries = 0;
        try
        {
            if (packing != Packing.Tar)
            {
                CheckCompressedTar(source, packing);
            }

            using var stream = new MeteredStream(LayerDecompressor.Open(source.ReadPath, source.Path),
                limits.LayerBudget(source.Size, limits.MaxTotalBytes), source.Path, ct);
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                entries++;
                string name = ArchiveIngest.Normalize(entry.Name);
                if (!name.Contains('/', StringComparison.Ordinal))
                {
                    names.Add(name);
                }
            }
        }
        catch (LimitExceededException e)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"import of {source.Path} refused: {e.Message}",
                $"an archive may expand to at most {limits.MaxRatio}x its size once past {limits.RatioFloorBytes >> 20} MiB; nothing was registered");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{source.Path} is a damaged tar archive: {e.Message}",
                "is the file complete? (a truncated download or copy shows up like this); nothing was registered");
        }

        if (entries == 0)
        {
            throw NotAnImage(source, "an empty tar archive (no entries)");
        }

        return names.Contains("manifest.json") ? SourceKind.DockerArchive
            : names.Contains("oci-layout") || names.Contains("index.json") ? SourceKind.OciArchive
            : SourceKind.RootfsTar;
    }

    // The first decompressed block must be a tar header too (rewinds by reopening: the probe read is small).
    private static void CheckCompressedTar(ImportSource source, Packing packing)
    {
        string kind = packing == Packing.Gzip ? "gzip" : "zstd";
        using var probe = LayerDecompressor.Open(source.ReadPath, source.Path);
        byte[] block = new byte[ContentSniffer.BlockSize];
        int n = probe.ReadAtLeast(block, block.Length, throwOnEndOfStream: false);
        if (n == block.Length && ContentSniffer.IsTarHeader(block))
        {
            return;
        }

        string what = n == 0 || ContentSniffer.AllZero(block.AsSpan(0, n))
            ? $"a {kind}-compressed empty tar archive (no entries)"
            : $"{kind}-compressed data that is not a tar ({ContentSniffer.Describe(block.AsSpan(0, n), n)})";
        throw NotAnImage(source, what);
    }

    private static SandboxException NotAnImage(ImportSource source, string what) =>
        new(ErrorKind.ImageNotFound, $"{source.Path} is {what}, not an image", ImportSource.Accepted);
}
