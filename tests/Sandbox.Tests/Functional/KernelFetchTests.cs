using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// `sandbox kernel fetch` in a fresh state root (a real download through the private apt
/// configuration), then tampering: a modified vmlinuz is refused at run time and shown as
/// CORRUPT, and a tampered cached .deb is discarded and fetched again, never unpacked.
/// </summary>
public sealed class KernelFetchTests : IDisposable
{
    private readonly SandboxCli _cli = Fresh();

    private static SandboxCli Fresh()
    {
        Require.Root();
        Require.Tool("apt-get");
        Require.Tool("dpkg-deb");
        Require.Tool("qemu-system-x86_64");
        return new SandboxCli();
    }

    [Fact]
    public void A_tampered_kernel_or_download_is_refused_and_refetched()
    {
        var fetch = _cli.Run(["kernel", "fetch", "debian-6.1"], stdin: null, TimeSpan.FromMinutes(10));
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Contains("vmlinuz sha256:", fetch.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"fetched\": true", _cli.Run("kernel", "ls", "--json").Stdout, StringComparison.Ordinal);

        string kernelDir = Path.Combine(_cli.StateRoot, "kernels", "debian-6.1");
        Assert.False(File.Exists(Path.Combine(kernelDir, "modules", "virtio_mmio.ko.xz")));
        File.AppendAllText(Path.Combine(kernelDir, "vmlinuz"), "tampered");
        Assert.Contains("CORRUPT", _cli.Run("kernel", "ls").Stdout, StringComparison.Ordinal);
        var run = _cli.Run(["run", "--backend", "microvm", "busybox", "true"], stdin: "");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("failed verification", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("sandbox kernel fetch debian-6.1", run.Stderr, StringComparison.Ordinal);

        string deb = Directory.EnumerateFiles(Path.Combine(_cli.StateRoot, "kernels", ".apt", "debian-6.1", "debs"), "*.deb").Single();
        using (var f = new FileStream(deb, FileMode.Open, FileAccess.Write))
        {
            f.Position = f.Length / 2;
            f.WriteByte(0x42);
        }

        var again = _cli.Run(["kernel", "fetch", "debian-6.1"], stdin: null, TimeSpan.FromMinutes(10));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("does not match the signed index", again.Stderr, StringComparison.Ordinal);
        Assert.Contains("discarding", again.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("CORRUPT", _cli.Run("kernel", "ls").Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
