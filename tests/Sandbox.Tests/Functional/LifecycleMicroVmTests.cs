using System.Diagnostics;
using System.Text.Json;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Detached microVM sandboxes: the supervisor drives the microVM backend through the same seam
/// (one boot per test under TCG). The kernel cache's state root is shared, so each test uses names
/// of its own and removes its sandbox.
/// </summary>
public sealed class LifecycleMicroVmTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _name = "lc-vm-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void A_detached_microvm_keeps_its_logs_and_stops_on_request()
    {
        string id = Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "busybox", "sh", "-c", "uname -r; echo err-line >&2; echo up; sleep 600"],
            stdin: null, TimeSpan.FromMinutes(3))).Stdout.Trim();
        Eventually(() => _cli.Run("logs", _name).Stdout.Contains("up\n", StringComparison.Ordinal), "the workload's first output");
        var logs = Ok(_cli.Run("logs", _name));
        Assert.Matches(@"-sandbox-minimal\nup\n$", logs.Stdout); // the guest's kernel
        // The launcher's notices (TCG emulation here) are shown on stderr, but are records of their
        // own: --no-notices gives exactly the bytes the workload wrote, as a container's log would.
        Assert.All(logs.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l != "err-line"),
            l => Assert.StartsWith("sandbox: ", l, StringComparison.Ordinal));
        Assert.Contains("err-line\n", logs.Stderr, StringComparison.Ordinal);
        var workloadOnly = Ok(_cli.Run("logs", "--no-notices", _name));
        Assert.Equal((logs.Stdout, "err-line\n"), (workloadOnly.Stdout, workloadOnly.Stderr));
        Assert.Equal("microvm", _cli.Row(id).GetProperty("backend").GetString());

        Assert.Equal(_name + "\n", Ok(_cli.Run(["stop", "-t", "2", _name], stdin: null, TimeSpan.FromMinutes(2))).Stdout);
        Assert.Equal("137\n", Ok(_cli.Run("wait", _name)).Stdout);
        Eventually(() => !QemuOf(id).Any(), "its QEMU to end");
    }

    [Fact]
    public void Each_microvm_restart_starts_from_a_clean_state_and_the_verbs_act_on_it()
    {
        // Every attempt is a new guest (booted, or a fresh clone of the template): the marker an
        // earlier attempt left in its writable layer is never found.
        string id = Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "--restart", "on-failure:2", "busybox", "sh", "-c",
            "if [ -e /tmp/marker ]; then echo seen-marker; exit 0; fi; touch /tmp/marker; echo fresh; exit 1"],
            stdin: null, TimeSpan.FromMinutes(3))).Stdout.Trim();
        Assert.Equal("1\n", Ok(_cli.Run(["wait", _name], stdin: null, TimeSpan.FromMinutes(5))).Stdout);
        Assert.Equal("fresh\nfresh\nfresh\n", Ok(_cli.Run("logs", _name)).Stdout); // the first attempt and 2 restarts
        Assert.Equal(2, _cli.Row(id).GetProperty("restartCount").GetInt32());
        var started = JsonDocument.Parse(Ok(_cli.Run("inspect", "--json", _name)).Stdout).RootElement.GetProperty("started");
        Assert.Equal("microvm", started.GetProperty("decision").GetProperty("backend").GetString());
        Assert.Equal(_name + "\n", Ok(_cli.Run("rm", _name)).Stdout);
        Assert.DoesNotContain(id, Ok(_cli.Run("ps", "-a")).Stdout, StringComparison.Ordinal);

        // kill reaches the guest's workload: SIGKILL ends it with 137.
        string second = Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "busybox", "sh", "-c", "echo up; sleep 600"],
            stdin: null, TimeSpan.FromMinutes(3))).Stdout.Trim();
        Eventually(() => _cli.Run("logs", _name).Stdout.Contains("up\n", StringComparison.Ordinal), "the workload's first output");
        Assert.Equal(_name + "\n", Ok(_cli.Run("kill", _name)).Stdout);
        Assert.Equal("137\n", Ok(_cli.Run(["wait", _name], stdin: null, TimeSpan.FromMinutes(2))).Stdout);
        Eventually(() => !QemuOf(second).Any(), "its QEMU to end");
    }

    [Fact]
    public void A_kill_right_after_run_d_reaches_the_workload_once_the_guest_started_it()
    {
        // run -d returns while the guest still boots; the signal used to be lost (crun in the guest had
        // no container yet, and the kill said ok) or refused as "not running" after 2 s of boot.
        string id = Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "busybox", "sleep", "600"],
            stdin: null, TimeSpan.FromMinutes(3))).Stdout.Trim();
        Assert.Equal(_name + "\n", Ok(_cli.Run(["kill", _name], stdin: null, TimeSpan.FromMinutes(3))).Stdout);
        Assert.Equal("137\n", Ok(_cli.Run(["wait", _name], stdin: null, TimeSpan.FromMinutes(2))).Stdout);
        Eventually(() => !QemuOf(id).Any(), "its QEMU to end");
    }

    [Fact]
    public void A_killed_microvm_supervisor_is_reconciled_and_its_vmm_reaped()
    {
        string id = Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "busybox", "sh", "-c", "echo up; sleep 600"],
            stdin: null, TimeSpan.FromMinutes(3))).Stdout.Trim();
        Eventually(() => _cli.Run("logs", _name).Stdout.Contains("up\n", StringComparison.Ordinal), "the workload's first output");
        string[] vmm = [.. QemuOf(id)]; // by PID: once reparented, its parent no longer names the sandbox
        Assert.NotEmpty(vmm);
        using (var supervisor = Process.GetProcessById(_cli.Row(id).GetProperty("supervisorPid").GetInt32()))
        {
            supervisor.Kill(entireProcessTree: false);
            supervisor.WaitForExit();
        }

        Assert.Equal("exited", _cli.Row(id).GetProperty("status").GetString()); // this call reconciles
        Eventually(() => !vmm.Any(Directory.Exists), "its VMM's run directories to be removed");
        // This root is shared with other microVM tests, whose CLI calls reconcile too: one of them may
        // hold this run's lock, reaping it, while our call passes it by (seen once in a fresh-clone CI
        // run). Whoever reaps it, the directory must be gone once the calls have finished.
        string runDir = Path.Combine(_cli.StateRoot, "run", id);
        Eventually(() => Ok(_cli.Run("ps", "-a")) is not null && !Directory.Exists(runDir), "its run directory to be reaped");
    }

    [Fact]
    public void Under_init_a_microvm_workload_has_no_zombies_and_stops_on_SIGTERM_with_143()
    {
        // The subshell's sleep is orphaned; sandbox-init, the guest workload's PID 1, reaps it.
        string id = Ok(_cli.Run(["run", "-d", "--init", "--name", _name, "--backend", "microvm", "busybox", "sh", "-c",
            "(sleep 0.1 &); sleep 1; echo zombies=$(grep -l '^State:.Z' /proc/[0-9]*/status | wc -l); sleep 1000"],
            stdin: null, TimeSpan.FromMinutes(3))).Stdout.Trim();
        Eventually(() => _cli.Run("logs", _name).Stdout.Contains("zombies=", StringComparison.Ordinal), "the workload to report its zombies");
        Assert.Equal("zombies=0\n", _cli.Run("logs", _name).Stdout);

        var clock = Stopwatch.StartNew();
        Assert.Equal(_name + "\n", Ok(_cli.Run(["stop", "-t", "30", _name], stdin: null, TimeSpan.FromMinutes(2))).Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"stop took {clock.Elapsed}: SIGTERM was not forwarded, the grace ran out");
        Assert.Equal("143\n", Ok(_cli.Run("wait", _name)).Stdout);
        var applied = JsonDocument.Parse(Ok(_cli.Run("inspect", "--json", id)).Stdout).RootElement.GetProperty("started").GetProperty("applied");
        Assert.Equal("sandbox-init", applied.GetProperty("init").GetString());
        Eventually(() => !QemuOf(id).Any(), "its QEMU to end");
    }

    [Fact]
    public void Stop_of_a_microvm_whose_guest_no_longer_answers_deletes_it_after_the_grace()
    {
        string id = Ok(_cli.Run(["run", "-d", "--name", _name, "--backend", "microvm", "busybox", "sh", "-c", "echo up; sleep 600"],
            stdin: null, TimeSpan.FromMinutes(3))).Stdout.Trim();
        Eventually(() => _cli.Run("logs", _name).Stdout.Contains("up\n", StringComparison.Ordinal), "the workload's first output");
        string[] vmm = [.. QemuOf(id)];
        Assert.NotEmpty(vmm);
        foreach (string qemu in vmm)
        {
            Assert.Equal(0, Tmds.Linux.LibC.kill(int.Parse(Path.GetFileName(qemu), System.Globalization.CultureInfo.InvariantCulture), 19)); // SIGSTOP: the guest hangs
        }

        var clock = Stopwatch.StartNew();
        Assert.Equal(_name + "\n", Ok(_cli.Run(["stop", "-t", "1", _name], stdin: null, TimeSpan.FromMinutes(3))).Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"stop took {clock.Elapsed}");
        Assert.Equal("exited", _cli.Row(id).GetProperty("status").GetString());
        Assert.Equal(137, _cli.Row(id).GetProperty("exitCode").GetInt32()); // as if SIGKILLed, not the VMM's failure (125)
        Assert.Contains("the sandbox was deleted", File.ReadAllText(Path.Combine(_cli.StateRoot, "sandboxes", id, "supervisor.log")), StringComparison.Ordinal);
        Eventually(() => !vmm.Any(Directory.Exists), "its VMM's run directories to be removed");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), "run directory left behind");
    }

    // The jailed QEMU: its command line names no sandbox, its parent (the OCI runtime of its jail) does.
    private static IEnumerable<string> QemuOf(string id) =>
        Directory.EnumerateDirectories("/proc").Where(d => Read(Path.Combine(d, "cmdline")).Contains("qemu-system", StringComparison.Ordinal)
            && Read($"/proc/{ParentOf(d)}/cmdline").Contains(id, StringComparison.Ordinal));

    private static string ParentOf(string procDir)
    {
        string stat = Read(Path.Combine(procDir, "stat"));
        int end = stat.LastIndexOf(')');
        return end < 0 ? "0" : stat[(end + 2)..].Split(' ')[1];
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        _cli.Run(["rm", "-f", _name], stdin: null, TimeSpan.FromMinutes(2));
        _cli.Dispose();
    }
}

/// <summary>The kill -9 drill (<see cref="KillNineDrill"/>) on the microVM backend, 20 times: the jailed QEMU must never be left.</summary>
public sealed class LifecycleMicroVmKillNineTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();

    [Fact]
    public void Twenty_kill_9s_at_random_instants_leave_ps_truthful_and_no_vmm_behind()
    {
        int seed = KillNineDrill.Seed();
        new KillNineDrill(_cli, ["--backend", "microvm"], "k9vm-" + Guid.NewGuid().ToString("N")[..6], seed, TimeSpan.FromSeconds(3)).Run(20);
    }

    public void Dispose() => _cli.Dispose();
}
