using Sandbox.Backends.MicroVm.Kernels;

namespace Sandbox.Tests.Support;

/// <summary>
/// A minimal Debian bookworm userland (debootstrap --variant=minbase, from the mirror this host's apt
/// uses) as a rootfs tar, built once per machine into the test cache ($SANDBOX_TEST_CACHE) and reused.
/// Concurrent test runs on one machine serialize on a lock file; the tar is published by rename.
/// </summary>
public static class DebianRootfs
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Tar => Built.Value;

    private static string Build()
    {
        Require.Root();
        string debootstrap = Require.Tool("debootstrap");
        string cache = MicroVmHost.CacheDir;
        Directory.CreateDirectory(cache, (UnixFileMode)0b111_001_001);
        string tar = Path.Combine(cache, "debian-bookworm-minbase.tar");
        using var held = Lock(tar + ".lock");
        if (File.Exists(tar))
        {
            return tar;
        }

        foreach (string stale in Directory.EnumerateDirectories(cache, ".debootstrap-*"))
        {
            Sandbox.Host.Mounts.SafeRemove.Directory(stale); // left by a killed run (maybe with its /proc still mounted); we hold the lock
        }

        string work = Directory.CreateDirectory(Path.Combine(cache, $".debootstrap-{Guid.NewGuid():N}")).FullName; // beside the tar: rename, not copy
        try
        {
            string rootfs = Path.Combine(work, "rootfs");
            Tool.Run(debootstrap, "--variant=minbase", "bookworm", rootfs, DebianMirror.FromHost().Main);
            Tool.Run("tar", "--numeric-owner", "-C", rootfs, "-cf", Path.Combine(work, "rootfs.tar"), ".");
            File.Move(Path.Combine(work, "rootfs.tar"), tar);
            return tar;
        }
        finally
        {
            Sandbox.Host.Mounts.SafeRemove.Directory(work); // detaches anything debootstrap left mounted before deleting
        }
    }

    private static FileStream Lock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500); // another test run on this machine is building it
            }
        }
    }
}
