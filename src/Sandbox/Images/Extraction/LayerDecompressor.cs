using System.Diagnostics;
using System.IO.Compression;
using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Images.Extraction;

/// <summary>
/// Opens a stored (already digest-verified) layer blob as a tar stream. The compression is told by the
/// blob's first bytes, not by the media type a manifest claims: gzip and plain tar in managed code, zstd
/// through Debian's `zstd -dc` reading the blob file (there is no AOT-clean managed zstd on the feeds).
/// </summary>
internal static class LayerDecompressor
{
    private static ReadOnlySpan<byte> Gzip => [0x1f, 0x8b];
    private static ReadOnlySpan<byte> Zstd => [0x28, 0xb5, 0x2f, 0xfd];

    public static Stream Open(string blobPath, string digest)
    {
        Span<byte> magic = stackalloc byte[4];
        int n;
        using (var probe = File.OpenRead(blobPath))
        {
            n = probe.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        }

        if (n >= 2 && magic[..2].SequenceEqual(Gzip))
        {
            return new GZipStream(File.OpenRead(blobPath), CompressionMode.Decompress);
        }

        if (n >= 4 && magic.SequenceEqual(Zstd))
        {
            return ZstdProcess(blobPath, digest);
        }

        return File.OpenRead(blobPath);
    }

    private static ZstdStream ZstdProcess(string blobPath, string digest)
    {
        string zstd = ExecutableLocator.Find("zstd")
            ?? throw new SandboxException(ErrorKind.HostUnsupported,
                $"layer {digest} is zstd-compressed and the zstd tool is missing",
                "apt-get install zstd (or run make deps)");
        var psi = new ProcessStartInfo(zstd)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[] { "-d", "-c", "-q", "--", blobPath })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new SandboxException(ErrorKind.HostUnsupported, $"cannot start {zstd}");
        return new ZstdStream(process, digest);
    }
}
