using Sandbox.Images.Extraction;
using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images.Formats;

/// <summary>
/// A plain root filesystem (a directory, or a tar of one) becomes a one-layer image: the directory is
/// tarred straight into the store (streamed, hashed, walked from its opened descriptor without
/// following a link: <see cref="DirectoryTar"/>), then goes through the same safe extraction as any
/// layer. Its config is made up: `sh` as the command, the usual PATH.
/// </summary>
internal static class RootfsSource
{
    public static PreparedImage FromDirectory(ContentStore store, ImportSource source, ExtractionLimits limits)
    {
        string digest;
        try
        {
            using var writer = new BlobWriter(store, limits.MaxTotalBytes, source.Path);
            using var root = DirFd.Reopen(source.Handle, source.Path);
            DirectoryTar.Write(root, writer, limits, store.Interrupt);
            if (writer.Written == 0) // no entry at all: the tar would be empty, and so would the image
            {
                throw new SandboxException(ErrorKind.ImageNotFound, $"root filesystem directory {source.Path} is empty: there is nothing to import",
                    "give the directory that holds the image's files (its bin, etc, usr, ...)");
            }

            digest = writer.Commit(null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException) // InvalidDataException: over the size budget
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"root filesystem directory {source.Path} could not be read: {e.Message}",
                "was it changed while it was read? nothing was registered");
        }

        return Prepared("rootfs-directory", store, digest);
    }

    public static PreparedImage FromTar(ContentStore store, ImportSource source, long maxBytes)
    {
        using var file = File.OpenRead(source.ReadPath);
        return Prepared("rootfs-tar", store, store.Ingest(file, null, maxBytes, source.Path));
    }

    private static PreparedImage Prepared(string format, ContentStore store, string layer)
    {
        var config = new ImageConfigFile(ManifestSelector.HostArchitecture, "linux",
            new ContainerConfig(null, ["sh"], ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "/", null, null),
            null); // diff IDs are filled in after extraction
        return new PreparedImage(format, null, config, null, [ManifestWriter.Layer(store, layer)], []);
    }
}
