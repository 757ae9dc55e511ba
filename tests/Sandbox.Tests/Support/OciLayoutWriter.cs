using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Tests.Support;

/// <summary>Writes an OCI image layout directory from raw layers, with correct digests unless a test breaks them.</summary>
public static class OciLayoutWriter
{
    public static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Writes the layout; layers may be plain or gzip tars (diff IDs are computed from the uncompressed bytes).</summary>
    public static string Write(string dir, IReadOnlyList<byte[]> layers, string configExtra = "\"Cmd\":[\"sh\"]")
    {
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        var diffIds = layers.Select(l => Digest(Uncompressed(l))).ToList();
        string layerJson = string.Join(",", layers.Select(l =>
            $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar{(IsGzip(l) ? "+gzip" : "")}\",\"digest\":\"{Blob(dir, l)}\",\"size\":{l.Length}}}"));
        byte[] config = Encoding.UTF8.GetBytes(
            $"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{{{configExtra}}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[{string.Join(",", diffIds.Select(d => $"\"{d}\""))}]}}}}");
        byte[] manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{Blob(dir, config)}\",\"size\":{config.Length}}},\"layers\":[{layerJson}]}}");
        string manifestDigest = Blob(dir, manifest);
        File.WriteAllText(Path.Combine(dir, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        File.WriteAllText(Path.Combine(dir, "index.json"),
            $"{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{manifestDigest}\",\"size\":{manifest.Length}}}]}}");
        return manifestDigest;
    }

    public static string Blob(string dir, byte[] data)
    {
        string digest = Digest(data);
        File.WriteAllBytes(Path.Combine(dir, "blobs", "sha256", digest[7..]), data);
        return digest;
    }

    private static bool IsGzip(byte[] data) => data.Length > 2 && data[0] == 0x1f && data[1] == 0x8b;

    private static byte[] Uncompressed(byte[] data)
    {
        if (!IsGzip(data))
        {
            return data;
        }

        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
