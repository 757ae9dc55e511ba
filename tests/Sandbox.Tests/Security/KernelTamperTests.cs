using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// A run stats the guest kernel instead of hashing it again (its digest is cached by file
/// identity); a kernel rewritten in place afterwards, same size and mtime put back, is still refused.
/// </summary>
public sealed class KernelTamperTests : IDisposable
{
    private const string Kernel = "minimal-6.1";
    private readonly SandboxCli _shared = MicroVmHost.Cli(); // the built kernel
    private readonly string _root = TestTemp.Directory("sandbox-kernel-tamper-");

    [Fact]
    public void A_kernel_rewritten_after_a_verified_run_is_refused_though_its_size_and_mtime_are_unchanged()
    {
        string kernels = Directory.CreateDirectory(Path.Combine(_root, "kernels")).FullName;
        Tool.Run("cp", "-a", Path.Combine(_shared.StateRoot, "kernels", Kernel), kernels);
        Thread.Sleep(Sandbox.Backends.MicroVm.Initramfs.FileFactsCache.SettleTime + TimeSpan.FromMilliseconds(200)); // a file changed this instant is never cached
        var store = new KernelStore(new StateRoot(_root));
        KernelEntry entry = KernelCatalog.BuiltIn.Choose(Kernel, store.IsInstalled);
        FetchedKernel verified = store.Open(entry);
        store.Open(entry);
        Assert.True(File.Exists(Path.Combine(kernels, ".file-facts")), "the verified digest is cached");

        string image = Path.Combine(kernels, Kernel, verified.Manifest.Image);
        DateTime mtime = File.GetLastWriteTimeUtc(image);
        using (var f = new FileStream(image, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Seek(4096, SeekOrigin.Begin);
            int b = f.ReadByte();
            f.Seek(4096, SeekOrigin.Begin);
            f.WriteByte((byte)(b ^ 0xff));
        }

        File.SetLastWriteTimeUtc(image, mtime);
        var e = Assert.Throws<SandboxException>(() => store.Open(entry));
        Assert.Contains("failed verification", e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
    }

    public void Dispose() => _shared.Dispose();
}
