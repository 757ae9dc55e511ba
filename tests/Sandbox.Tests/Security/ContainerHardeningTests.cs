using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Each test runs an attack inside the hardened container and asserts it failed. Where the outcome
/// could also be the host's doing, the same probe runs natively first to show the attack works
/// there (gVisor's style): the difference is the sandbox.
/// </summary>
public sealed class ContainerHardeningTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    private CliRun Probe(params string[] args) =>
        _cli.Run(["run", "--trust", "trusted", ProbeImage.Path, "/probe", .. args], stdin: null);

    [Fact]
    public void Every_capability_set_is_empty()
    {
        var run = Probe("caps");
        foreach (string set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            Assert.Contains($"{set}:\t0000000000000000", run.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Container_root_is_not_host_root()
    {
        var run = Probe("uidmap");
        string uidLine = run.Stdout.Split('\n').First(l => l.StartsWith("uid_map:", StringComparison.Ordinal));
        long[] fields = uidLine["uid_map:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        Assert.Equal(0, fields[0]);
        Assert.True(fields[1] >= 1_000_000_000, $"container root maps to host uid {fields[1]}");
        Assert.Equal(65536, fields[2]);
    }

    [Fact]
    public void Concurrent_sandboxes_get_disjoint_id_ranges()
    {
        using var first = _cli.Start(["run", "--trust", "trusted", "busybox", "sh", "-c", "cat /proc/self/uid_map; sleep 3"]);
        using var second = _cli.Start(["run", "--trust", "trusted", "busybox", "sh", "-c", "cat /proc/self/uid_map; sleep 3"]);
        long a = HostStart(SandboxCli.Wait(first, TimeSpan.FromSeconds(60)).Stdout);
        long b = HostStart(SandboxCli.Wait(second, TimeSpan.FromSeconds(60)).Stdout);
        Assert.True(Math.Abs(a - b) >= 65536, $"ranges overlap: {a} and {b}");

        static long HostStart(string uidMap) => long.Parse(uidMap.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    [Theory]
    [InlineData("/x")]
    [InlineData("/etc/passwd")]
    [InlineData("/bin/busybox")]
    public void The_root_filesystem_is_read_only(string path)
    {
        var verdict = ProbeBinary.ParseOutput(Probe("write", path).Stdout);
        Assert.Equal("EROFS", verdict.ErrnoName);
    }

    [Fact]
    public void Tmp_is_writable_and_size_limited()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "sh", "-c",
            "echo ok > /tmp/f && cat /tmp/f; head -c 80000000 /dev/zero > /tmp/big; echo rc=$?");
        Assert.StartsWith("ok\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("rc=1", run.Stdout, StringComparison.Ordinal); // 64 MiB tmpfs: ENOSPC
    }

    [Theory]
    [InlineData("/proc/sys/kernel/hostname")]
    [InlineData("/proc/sysrq-trigger")]
    [InlineData("/sys/kernel/mm/transparent_hugepage/enabled")]
    public void Kernel_tunables_cannot_be_written(string path)
    {
        string before = File.ReadAllText("/proc/sys/kernel/hostname");
        var verdict = ProbeBinary.ParseOutput(Probe("write", path).Stdout);
        Assert.False(verdict.Ok, $"write to {path} succeeded");
        Assert.Equal(before, File.ReadAllText("/proc/sys/kernel/hostname"));
    }

    [Theory]
    [InlineData("/proc/kcore")]
    [InlineData("/proc/keys")]
    [InlineData("/proc/timer_list")]
    public void Masked_paths_reveal_nothing(string path)
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "sh", "-c", $"head -c 64 {path} | wc -c");
        Assert.Equal("0\n", run.Stdout);
    }

    [Fact]
    public void Only_loopback_exists()
    {
        var run = Probe("ifaces");
        Assert.Equal(["lo", "ifaces: ok"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Dev_holds_only_the_safe_device_set()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "ls", "/dev");
        string[] entries = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] allowed = ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "ptmx", "fd", "stdin", "stdout", "stderr", "mqueue"];
        Assert.Empty(entries.Except(allowed));
        Assert.Contains("null", entries);
    }

    [Fact]
    public void Image_supplied_dev_is_never_used()
    {
        // The 2025 runc CVEs start from an image whose /dev/null is a symlink to a host path.
        string rootfs = Directory.CreateTempSubdirectory("sandbox-evil-dev-").FullName;
        try
        {
            foreach (string d in new[] { "proc", "sys", "dev", "tmp", "bin" })
            {
                Directory.CreateDirectory(Path.Combine(rootfs, d));
            }

            File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "sh"), "busybox");
            File.CreateSymbolicLink(Path.Combine(rootfs, "dev", "null"), "/proc/sys/kernel/hostname");
            File.SetUnixFileMode(rootfs, (UnixFileMode)0b111_101_101);
            string before = File.ReadAllText("/proc/sys/kernel/hostname");
            var run = _cli.Run("run", "--trust", "trusted", rootfs, "/bin/sh", "-c", "echo pwned > /dev/null; /bin/busybox stat -c %F /dev/null");
            Assert.Equal("character special file\n", run.Stdout);
            Assert.Equal(before, File.ReadAllText("/proc/sys/kernel/hostname"));
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
        }
    }

    [Fact]
    public void A_fork_bomb_stops_at_the_pids_limit()
    {
        var run = _cli.Run(["run", "--trust", "trusted", "--pids-limit", "32", ProbeImage.Path, "/probe", "forkbomb", "500"], stdin: null);
        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"forkbomb: \d+ forks ok, then EAGAIN", run.Stdout);
        int forked = int.Parse(run.Stdout.Split(' ')[1]);
        Assert.True(forked < 32, $"{forked} forks succeeded under a limit of 32");
        var after = _cli.Run("run", "--trust", "trusted", "busybox", "echo", "host still fine");
        Assert.Equal("host still fine\n", after.Stdout);
    }

    [Fact]
    public void Memory_limit_kills_a_hog()
    {
        // A 100 MB shell string inside a 32 MiB cgroup: the kernel's OOM killer ends the sandbox.
        var run = _cli.Run("run", "--trust", "trusted", "--memory", "32M", "busybox", "sh", "-c",
            "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived");
        Assert.Equal(137, run.ExitCode);
        Assert.DoesNotContain("survived", run.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
