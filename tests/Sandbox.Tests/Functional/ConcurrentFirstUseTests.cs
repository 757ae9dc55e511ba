using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Concurrent first use of everything a microVM run caches (the built-in image, its root disk, the
/// initramfs, the runtime and accelerator verdicts): several launchers start at once on a fresh
/// state root; one builds each cache entry, the others wait for it, and every run succeeds.
/// Regression: a second builder renamed its root disk over the first's while the first run's jail
/// was binding it, and that run failed with ENOENT.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class ConcurrentFirstUseTests : IDisposable
{
    private const int Runs = 4;
    private const string Kernel = "debian-6.1";

    private readonly SandboxCli _shared = MicroVmHost.Cli(); // holds the fetched kernel
    private readonly SandboxCli _fresh = new();

    [Fact]
    public void Four_microvm_runs_of_a_never_used_image_at_once_on_a_fresh_state_root_all_succeed()
    {
        // Only the fetched kernel is carried over (fetching it again would be a download; the kernels'
        // apt cache of several hundred MiB is not needed): no image, disk, initramfs or verdict exists yet.
        string kernels = Path.Combine(_fresh.StateRoot, "kernels");
        Directory.CreateDirectory(kernels, (UnixFileMode)0b111_001_001);
        Tool.Run("cp", "-a", Path.Combine(_shared.StateRoot, "kernels", Kernel), kernels);
        Assert.False(Directory.Exists(Path.Combine(_fresh.StateRoot, "vm")));
        Assert.False(Directory.Exists(Path.Combine(_fresh.StateRoot, "images")));

        var launchers = Enumerable.Range(0, Runs)
            .Select(i => _fresh.Start(["run", "--backend", "microvm", "--kernel", Kernel, "busybox", "sh", "-c", $"echo run-{i}"]))
            .ToList();
        var results = launchers.Select(p => SandboxCli.Wait(p, TimeSpan.FromMinutes(8))).ToList();
        launchers.ForEach(p => p.Dispose());

        for (int i = 0; i < Runs; i++)
        {
            Assert.True(results[i].ExitCode == 0, $"run {i}: {results[i]}");
            Assert.Equal($"run-{i}\n", results[i].Stdout);
        }

        string vm = Path.Combine(_fresh.StateRoot, "vm");
        Assert.Single(Directory.EnumerateFiles(Path.Combine(vm, "disks"), "*.ext4"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(vm, "disks"), ".tmp-*"));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(vm, "initramfs"), "*.cpio"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(vm, "initramfs"), ".tmp-*"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fresh.StateRoot, "images"), ".tmp-*"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fresh.StateRoot, "run")));
    }

    /// <summary>
    /// The race itself, made certain: launchers that need one image's disk at once all get the same
    /// file, and none is renamed over after any of them got it (a running VM's jail binds that inode;
    /// once it is unlinked, runc's bind of it fails with ENOENT).
    /// </summary>
    [Fact]
    public async Task Concurrent_first_requests_for_a_root_disk_share_one_build_that_is_never_replaced()
    {
        Require.Tool("mkfs.ext4");
        var root = new Sandbox.Runtime.StateRoot(_fresh.StateRoot);
        var image = Sandbox.Images.BusyboxImage.Get(root);
        using var start = new Barrier(Runs);
        var ct = TestContext.Current.CancellationToken;
        var got = await Task.WhenAll(Enumerable.Range(0, Runs).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(ct);
            string disk = Sandbox.Backends.MicroVm.Disk.RootDisk.Ensure(root, image, ct);
            return (Disk: disk, Inode: Inode(disk));
        }, ct)));

        Assert.Single(got.Select(g => g.Disk).Distinct());
        foreach (var (disk, inode) in got)
        {
            Assert.Equal(inode, Inode(disk)); // still the file that launcher got: nobody published over it
        }

        Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(got[0].Disk)!, "*.ext4"));
    }

    private static string Inode(string path) => Tool.Run("stat", "-c", "%i", path).Trim();

    public void Dispose()
    {
        _fresh.Dispose();
        _shared.Dispose();
    }
}
