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
        int qemu = WaitForQemu(launcher.Id, TimeSpan.FromSeconds(90));
        var status = Status(qemu);
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

        // An fd QEMU closed between the listing and its readlink (a template capture's migration
        // socket, say) reads as "": it is no longer open, so it is not judged.
        string[] fds = [.. Directory.GetFileSystemEntries($"/proc/{qemu}/fd").Select(Readlink).Where(t => t.Length > 0)];
        string[] unexpected = [.. fds.Where(t => !(t.StartsWith("pipe:", StringComparison.Ordinal) || t.StartsWith("socket:", StringComparison.Ordinal)
            || t.StartsWith("anon_inode:", StringComparison.Ordinal) || t == "/dev/null" || t == "/dev/kvm"
            || t.StartsWith("/vm/", StringComparison.Ordinal) || t.StartsWith("/io/", StringComparison.Ordinal)
            || t.StartsWith("/volumes/", StringComparison.Ordinal)))]; // a VM template's 9p slots: the jail's empty read-only directories
        Assert.True(unexpected.Length == 0, $"unexpected open files in QEMU: {string.Join(", ", unexpected)}");
        Assert.Contains("/vm/rootfs.ext4", fds);

        Assert.Equal(0, Tmds.Linux.LibC.kill(launcher.Id, 15));
        var result = SandboxCli.Wait(launcher, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 143, result.ToString());
        AssertGone(qemu);
    }

    // Some nested/emulated KVM modules refuse what QEMU sets up for a vCPU (e.g. "failed to set MSR 0x10a"),
    // and QEMU aborts at once: a property of the host's KVM, not of the jail. Anything else is a failure.
    private static void SkipWhereQemuCannotUseThisKvm(CliRun result)
    {
        string? qemuSaid = result.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith("QEMU said:", StringComparison.Ordinal));
        bool kvmRefused = result.ExitCode == 125 && qemuSaid is not null
            && (qemuSaid.Contains("kvm", StringComparison.OrdinalIgnoreCase) || qemuSaid.Contains("MSR", StringComparison.Ordinal));
        Require.HostHas(!kvmRefused,
            $"this host's /dev/kvm cannot run QEMU's vCPU ({qemuSaid}); the KVM path was last proven by this forced-KVM test on a host whose KVM QEMU can use");
        Assert.Fail($"QEMU exited before creating its KVM VM\n{result}");
    }

    private static Dictionary<string, string> Status(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());

    private static void AssertGone(int qemu)
    {
        var gone = Stopwatch.StartNew(); // the kernel may still be tearing down the guest's memory
        while (QemuState(qemu) is { } state && state[0] != 'Z' && gone.Elapsed < TimeSpan.FromSeconds(15))
        {
            Thread.Sleep(100);
        }

        Assert.True(QemuState(qemu) is null or ['Z', ..], $"QEMU outlived the launcher (state {QemuState(qemu)})");
    }

    /// <summary>
    /// Forces KVM (this CI host's /dev/kvm is software-emulated, so the guest does not finish booting
    /// in time; what matters is the jail): QEMU opened the jail's /dev/kvm and created a VM, still
    /// with no capabilities, under seccomp, as the leased ID; SIGTERM then stops it and tears down.
    /// </summary>
    [Fact]
    public void Under_kvm_the_jailed_vmm_opens_dev_kvm_and_stays_confined()
    {
        Require.HostHas(File.Exists("/dev/kvm"),
            "no /dev/kvm on this host, so the KVM path is not exercised here; it was last proven by this forced-KVM test "
            + "(SANDBOX_ACCELERATOR=kvm) on a host with /dev/kvm, and every other microVM test runs the TCG path");
        var env = new Dictionary<string, string> { ["SANDBOX_ACCELERATOR"] = "kvm", ["SANDBOX_TRACE"] = "1" };
        using var launcher = _cli.Start(["run", "--backend", "microvm", "busybox", "sleep", "120"], redirectStdin: true, env);
        launcher.StandardInput.Close();
        int qemu = 0;
        var started = Stopwatch.StartNew();
        while (qemu == 0 && !launcher.HasExited && started.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                qemu = WaitForQemu(launcher.Id, TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                // not yet, or QEMU already aborted: the launcher's exit says which
            }
        }

        if (qemu == 0)
        {
            SkipWhereQemuCannotUseThisKvm(SandboxCli.Wait(launcher, TimeSpan.FromSeconds(60)));
        }

        string[] fds = [];
        var opened = Stopwatch.StartNew(); // QEMU opens /dev/kvm right after its disk, while it sets the machine up
        while (!fds.Contains("anon_inode:kvm-vm") && opened.Elapsed < TimeSpan.FromSeconds(15))
        {
            Thread.Sleep(100);
            if (!Directory.Exists($"/proc/{qemu}/fd"))
            {
                SkipWhereQemuCannotUseThisKvm(SandboxCli.Wait(launcher, TimeSpan.FromSeconds(60)));
            }

            fds = [.. Directory.GetFileSystemEntries($"/proc/{qemu}/fd").Select(Readlink)];
        }

        Assert.Contains("/dev/kvm", fds);
        Assert.Contains("anon_inode:kvm-vm", fds);
        Assert.Contains(fds, f => f.StartsWith("anon_inode:kvm-vcpu", StringComparison.Ordinal));
        var status = Status(qemu);
        Assert.Equal("2", status["Seccomp"]);
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("0000000000000000", status["CapBnd"]);
        uint uid = uint.Parse(status["Uid"].Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(uid >= 1_000_000_000, $"QEMU runs as host uid {uid}");
        Assert.All(status["Groups"].Split(' ', StringSplitOptions.RemoveEmptyEntries),
            g => Assert.True(uint.Parse(g, System.Globalization.CultureInfo.InvariantCulture) >= 1_000_000_000, $"QEMU holds host group {g}"));
        string run = Path.Combine(_cli.StateRoot, "run");
        string[] nodes = [.. Directory.EnumerateFiles(run, "kvm", SearchOption.AllDirectories)];
        Assert.NotEmpty(nodes);

        // --timeout counts from the workload's start, which an emulated KVM never reaches: stop it by signal.
        Assert.Equal(0, Tmds.Linux.LibC.kill(launcher.Id, 15));
        var result = SandboxCli.Wait(launcher, TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 143, result.ToString());
        Assert.Contains("SANDBOX_ACCELERATOR=kvm forces the microVM accelerator", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("signal 15 received", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("torn down", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("no hardware virtualization", result.Stderr, StringComparison.Ordinal);
        AssertGone(qemu);
        Assert.All(nodes, n => Assert.False(File.Exists(n), $"the jail's KVM node {n} outlived the run"));
    }

    [Fact]
    public void A_vmm_that_dies_is_125_with_the_reason_not_a_workload_exit_code()
    {
        using var launcher = _cli.Start(["run", "--backend", "microvm", "busybox", "sleep", "120"], redirectStdin: true);
        launcher.StandardInput.Close();
        int qemu = WaitForQemu(launcher.Id, TimeSpan.FromSeconds(90));
        Assert.Equal(0, Tmds.Linux.LibC.kill(qemu, 9)); // a VMM crash, from the launcher's point of view
        var result = SandboxCli.Wait(launcher, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 125, result.ToString());
        Assert.Contains("without reporting the workload's exit status", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("last lines of the guest console", result.Stderr, StringComparison.Ordinal);
    }

    // The QEMU started by this test's launcher (other tests boot VMs from the same shared state root).
    private static int WaitForQemu(int launcher, TimeSpan timeout)
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
                        && DescendsFrom(pid, launcher)
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

    private static bool DescendsFrom(int pid, int ancestor)
    {
        for (int hops = 0; hops < 10 && pid > 1; hops++)
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            pid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            if (pid == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static string? QemuState(int pid)
    {
        try
        {
            string status = File.ReadAllText($"/proc/{pid}/status");
            return status.Contains("qemu", StringComparison.Ordinal)
                ? status.Split('\n').First(l => l.StartsWith("State:", StringComparison.Ordinal))[6..].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string Readlink(string path) => new FileInfo(path).LinkTarget ?? "";

    public void Dispose() => _cli.Dispose();
}
