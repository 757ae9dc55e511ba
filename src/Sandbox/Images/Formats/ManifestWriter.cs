using System.Text.Json;
using Sandbox.Images.Store;

namespace Sandbox.Images.Formats;

/// <summary>Writes an OCI config and manifest into the store for sources that carry none of their own.</summary>
internal static class ManifestWriter
{
    public static Descriptor WriteConfig(ContentStore store, ImageConfigFile config)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(config, FormatJsonContext.Default.ImageConfigFile);
        return new Descriptor(MediaTypes.OciConfig, Ingest(store, json, "config"), json.Length);
    }

    public static string WriteManifest(ContentStore store, Descriptor config, IReadOnlyList<Descriptor> layers)
    {
        var manifest = new OciManifest(2, MediaTypes.OciManifest, config, [.. layers]);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, FormatJsonContext.Default.OciManifest);
        return Ingest(store, json, "manifest");
    }

    /// <summary>A layer descriptor for a stored blob, its media type told by its first bytes.</summary>
    public static Descriptor Layer(ContentStore store, string digest)
    {
        string path = store.BlobPath(digest);
        Span<byte> magic = stackalloc byte[2];
        using (var file = File.OpenRead(path))
        {
            _ = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        }

        string mediaType = magic[0] == 0x1f && magic[1] == 0x8b ? MediaTypes.OciLayerGzip : MediaTypes.OciLayer;
        return new Descriptor(mediaType, digest, new FileInfo(path).Length);
    }

    private static string Ingest(ContentStore store, byte[] json, string what)
    {
        using var stream = new MemoryStream(json);
        return store.Ingest(stream, null, json.Length, what);
    }
}
