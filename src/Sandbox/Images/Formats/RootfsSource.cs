using System.Formats.Tar;
using Sandbox.Images.Store;

namespace Sandbox.Images.Formats;

/// <summary>
/// A plain root filesystem (a directory, or a tar of one) becomes a one-layer image: the directory is
/// tarred straight into the store (streamed, hashed), then goes through the same safe extraction as any
/// layer. Its config is made up: `sh` as the command, the usual PATH.
/// </summary>
internal static class RootfsSource
{
    public static PreparedImage FromDirectory(ContentStore store, string dir, long maxBytes)
    {
        string digest;
        using (var writer = new BlobWriter(store, maxBytes, dir))
        {
            TarFile.CreateFromDirectory(dir, writer, includeBaseDirectory: false);
            digest = writer.Commit(null);
        }

        return Prepared("rootfs-directory", store, digest);
    }

    public static PreparedImage FromTar(ContentStore store, string tar, long maxBytes)
    {
        using var file = File.OpenRead(tar);
        return Prepared("rootfs-tar", store, store.Ingest(file, null, maxBytes, tar));
    }

    private static PreparedImage Prepared(string format, ContentStore store, string layer)
    {
        var config = new ImageConfigFile(ManifestSelector.HostArchitecture, "linux",
            new ContainerConfig(null, ["sh"], ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "/", null, null),
            null); // diff IDs are filled in after extraction
        return new PreparedImage(format, null, config, null, [ManifestWriter.Layer(store, layer)], []);
    }
}
