namespace Sandbox.Tests.Support;

/// <summary>
/// Requirements and shared state for tests that boot microVMs. Kernels are fetched (Debian's) and
/// built (the minimal ones, which then are the default) once into a state root under the test
/// cache ($SANDBOX_TEST_CACHE, default /var/cache/sandbox-tests), so CI downloads and compiles each
/// kernel once per machine and later runs reuse it (an up-to-date kernel only refreshes the
/// package lists; a build is redone only when its source version, fragment or toolchain changed).
/// </summary>
public static class MicroVmHost
{
    public static readonly string[] Kernels = ["debian-6.1", "debian-5.10"];

    /// <summary>Built from source; the first is what runs that name no kernel boot.</summary>
    public static readonly string[] BuiltKernels = ["minimal-6.1", "minimal-5.10"];

    private static readonly Lazy<string> Fetched = new(FetchKernels, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Finished kernel builds by key, shared with `make demo` (tests/demo.sh) on this machine.</summary>
    public static string BuildCacheDir => Path.Combine(CacheDir, "kernel-builds");

    public static string CacheDir => Environment.GetEnvironmentVariable("SANDBOX_TEST_CACHE") ?? "/var/cache/sandbox-tests";

    /// <summary>A CLI on the shared state root with the kernels fetched and built; fails (CI) or skips (locally) without root or QEMU.</summary>
    public static SandboxCli Cli()
    {
        Require.Root();
        Require.Tool("qemu-system-x86_64");
        Require.Tool("runc");
        Require.Tool("apt-get");
        Require.Tool("mkfs.ext4");
        Require.That(File.Exists("/bin/busybox"), "this test needs /bin/busybox (apt-get install busybox-static)");
        return new SandboxCli(Fetched.Value);
    }

    private static string FetchKernels()
    {
        // World-traversable (0711): the jailed VMM's unprivileged ID resolves its bind mounts through it.
        Directory.CreateDirectory(CacheDir, (UnixFileMode)0b111_001_001);
        File.SetUnixFileMode(CacheDir, (UnixFileMode)0b111_001_001);
        string root = Path.Combine(CacheDir, "microvm-root");
        using var cli = new SandboxCli(root);
        foreach (string kernel in Kernels)
        {
            var fetch = cli.Run(["kernel", "fetch", kernel], stdin: null, TimeSpan.FromMinutes(10));
            Assert.True(fetch.ExitCode == 0, $"sandbox kernel fetch {kernel} failed:\n{fetch}");
        }

        foreach (string kernel in BuiltKernels)
        {
            // A first build compiles for several minutes on two cores; later ones find the same key.
            var build = cli.Run(["kernel", "build", kernel, "--cache", BuildCacheDir], stdin: null, TimeSpan.FromMinutes(90));
            Assert.True(build.ExitCode == 0, $"sandbox kernel build {kernel} failed:\n{build}");
        }

        return root;
    }
}
