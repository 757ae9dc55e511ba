using System.Diagnostics;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Inspects the running VMM from the host, as Firecracker's jailer tests do: while a microVM runs,
/// QEMU must be under seccomp, without capabilities, as a non-root host ID, holding only the
/// expected files. Then SIGTERM to the launcher stops the VM (143) and leaves no QEMU behind.
/// </summary>
public sealed class VmmJailTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();

    [Fact]
    public void The_running_vmm_is_jailed_and_sigterm_stops_it()
    {
        using var launcher = _cli.Start(["run", "--backend", "microvm", "busybox", "sleep", "120"], redirectStdin: true);
        launcher.StandardInput.Close();
        int qemu = WaitForQemu(TimeSpan.FromSeconds(90));
        var status = File.ReadAllLines($"/proc/{qemu}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());
        Assert.Equal("2", status["Seccomp"]);
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("0000000000000000", status["CapPrm"]);
        Assert.Equal("0000000000000000", status["CapBnd"]);
        uint uid = uint.Parse(status["Uid"].Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(uid >= 1_000_000_000, $"QEMU runs as host uid {uid}");
        Assert.Equal("1", status["NoNewPrivs"]);
        foreach (string ns in new[] { "user", "mnt", "pid", "ipc", "uts", "net" })
        {
            Assert.NotEqual(Readlink($"/proc/self/ns/{ns}"), Readlink($"/proc/{qemu}/ns/{ns}"));
        }

        string[] fds = [.. Directory.GetFileSystemEntries($"/proc/{qemu}/fd").Select(Readlink)];
        string[] unexpected = [.. fds.Where(t => !(t.StartsWith("pipe:", StringComparison.Ordinal) || t.StartsWith("socket:", StringComparison.Ordinal)
            || t.StartsWith("anon_inode:", StringComparison.Ordinal) || t == "/dev/null"
            || t.StartsWith("/vm/", StringComparison.Ordinal) || t.StartsWith("/io/", StringComparison.Ordinal)))];
        Assert.True(unexpected.Length == 0, $"unexpected open files in QEMU: {string.Join(", ", unexpected)}");
        Assert.Contains("/vm/rootfs.ext4", fds);

        Assert.Equal(0, Tmds.Linux.LibC.kill(launcher.Id, 15));
        var result = SandboxCli.Wait(launcher, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 143, result.ToString());
        Assert.False(Directory.Exists($"/proc/{qemu}") && File.ReadAllText($"/proc/{qemu}/status").Contains("qemu", StringComparison.Ordinal),
            "QEMU outlived the launcher");
    }

    // The QEMU whose cgroup is a sandbox run of this test's state root (its /proc/PID/root reads "/" from here).
    private int WaitForQemu(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid))
                {
                    continue;
                }

                try
                {
                    if (Readlink($"{dir}/exe").EndsWith("/qemu-system-x86_64", StringComparison.Ordinal)
                        && OwnRun(File.ReadAllText($"{dir}/cgroup"))
                        && Directory.GetFileSystemEntries($"{dir}/fd").Select(Readlink).Contains("/vm/rootfs.ext4"))
                    {
                        return pid;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // the process exited while we looked
                }
            }

            Thread.Sleep(200);
        }

        throw new TimeoutException("no jailed QEMU appeared");
    }

    private bool OwnRun(string cgroups) =>
        cgroups.Split('\n').Select(l => l.Split("/sandbox/", 2)).Where(p => p.Length == 2)
            .Any(p => Directory.Exists(Path.Combine(_cli.StateRoot, "run", p[1].Split('/')[0].Trim())));

    private static string Readlink(string path) => new FileInfo(path).LinkTarget ?? "";

    public void Dispose() => _cli.Dispose();
}
