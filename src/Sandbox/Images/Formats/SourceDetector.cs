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

/// <summary>Tells what PATH is from its content: an OCI layout has oci-layout/index.json, a docker-archive manifest.json.</summary>
internal static class SourceDetector
{
    public static SourceKind Detect(string path)
    {
        if (Directory.Exists(path))
        {
            return File.Exists(Path.Combine(path, "oci-layout")) || File.Exists(Path.Combine(path, "index.json"))
                ? SourceKind.OciLayout
                : SourceKind.RootfsDirectory;
        }

        if (!File.Exists(path))
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{path}: no such file or directory",
                "give an OCI layout directory, an oci-archive or docker-archive tar, or a root filesystem directory or tar");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using Stream stream = LayerDecompressor.Open(path, path);
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                string name = Formats.ArchiveIngest.Normalize(entry.Name);
                if (!name.Contains('/', StringComparison.Ordinal))
                {
                    names.Add(name);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{path} is not a tar archive (plain, gzip or zstd): {e.Message}",
                "is the file complete? nothing was registered");
        }

        return names.Contains("manifest.json") ? SourceKind.DockerArchive
            : names.Contains("oci-layout") || names.Contains("index.json") ? SourceKind.OciArchive
            : SourceKind.RootfsTar;
    }
}
