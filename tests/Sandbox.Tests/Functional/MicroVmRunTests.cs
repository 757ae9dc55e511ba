using System.Text;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// End-to-end microVM runs through bin/sandbox (one boot per test, ~6-10 s each under TCG), on
/// the default kernel (minimal-6.1, built from Debian's source), Debian's generic 6.1 and the legacy 5.10 one. Tests in this class run one after another.
/// </summary>
public sealed class MicroVmRunTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();

    private CliRun Vm(params string[] args) => _cli.Run(["run", "--backend", "microvm", .. args], stdin: "", TimeSpan.FromMinutes(3));

    [Fact]
    public void The_default_guest_kernel_is_the_minimal_one_and_runs_the_workload_with_separate_streams_and_its_exit_code()
    {
        var run = Vm("busybox", "sh", "-c",
            "uname -r; grep -c vsyscall /proc/self/maps; zcat /proc/config.gz | grep -E '^CONFIG_(PVH|LOCALVERSION|MODULES)=' | sort; echo err >&2; exit 3");
        Assert.True(run.ExitCode == 3, run.ToString());
        string[] lines = run.Stdout.Split('\n');
        Assert.Matches(@"^6\.1\.[0-9]+-sandbox-minimal$", lines[0]); // built from linux-source-6.1 with our fragment
        // The kernel's own config proves which one ran: ours, booted through its PVH entry.
        Assert.Equal(["CONFIG_LOCALVERSION=\"-sandbox-minimal\"", "CONFIG_MODULES=y", "CONFIG_PVH=y"], lines[2..5]);
        Assert.NotEqual(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), lines[0]); // the guest's kernel, not the host's
        Assert.Equal("0", lines[1]); // bookworm's default: no vsyscall page
        Assert.DoesNotContain("err", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("err\n", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("QEMU TCG emulation", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Debians_generic_6_1_kernel_stays_available_by_name()
    {
        var run = Vm("--kernel", "debian-6.1", "busybox", "sh", "-c", "uname -r; grep -c vsyscall /proc/self/maps; grep -E '^Seccomp:' /proc/self/status");
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Stdout.Split('\n');
        Assert.Matches(@"^6\.1\.0-[0-9]+-amd64$", lines[0]); // Debian's package, modules loaded by init
        Assert.Equal("0", lines[1]);
        Assert.Equal("Seccomp:\t2", lines[2]);
    }

    [Theory]
    [InlineData("debian-5.10")]
    [InlineData("minimal-5.10")]
    public void The_legacy_5_10_kernels_give_old_binaries_the_vsyscall_page(string kernel)
    {
        var run = Vm("--kernel", kernel, "busybox", "sh", "-c", "uname -r; grep vsyscall /proc/self/maps; grep -E '^(CapEff|Seccomp):' /proc/self/status");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("5.10.", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapEff:\t0000000000000000", run.Stdout, StringComparison.Ordinal); // the old kernel's guest is hardened too
        Assert.Contains("Seccomp:\t2", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("r-xp", run.Stdout, StringComparison.Ordinal); // emulated: readable and executable
        Assert.Contains("[vsyscall]", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Stdin_reaches_the_workload_and_ends_with_eof()
    {
        var run = _cli.Run(["run", "--backend", "microvm", "busybox", "sh", "-c", "cat; echo end"], stdin: "hello\nworld\n", TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello\nworld\nend\n", run.Stdout);
    }

    [Fact]
    public void Large_output_arrives_complete_and_in_order()
    {
        var run = Vm("busybox", "seq", "1", "300000");
        Assert.True(run.ExitCode == 0, run.ToString()[..Math.Min(2000, run.ToString().Length)]);
        var expected = new StringBuilder();
        for (int i = 1; i <= 300000; i++)
        {
            expected.Append(i).Append('\n');
        }

        Assert.Equal(expected.ToString(), run.Stdout);
    }

    // Regression: init powered off as soon as it had reported the exit status, while output was
    // still queued in the guest and QEMU because the host's sink was not reading; that output was
    // lost (cut at a 4 KiB multiple), and after QEMU exited the launcher gave its pumps only 10 s.
    // Here nothing reads the launcher's stdout until well after the workload has exited.
    [Fact]
    public async Task Output_is_complete_when_the_sink_reads_only_after_the_workload_exited()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var launcher = _cli.Start(["run", "--backend", "microvm", "busybox", "sh", "-c", "seq 1 20000; echo done >&2; exit 4"], redirectStdin: true);
        launcher.StandardInput.Close();
        var stderr = new StringBuilder();
        var readErr = Task.Run(() =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = launcher.StandardError.Read(buffer)) > 0)
            {
                lock (stderr)
                {
                    stderr.Append(buffer, 0, n);
                }
            }
        }, ct);
        string Err()
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }

        // The ~110 KB fit in the pipes, sockets and virtqueues between the workload and this test,
        // so the workload finishes without anyone reading; if a host's buffers are smaller, the
        // workload blocks and the test reads after the wait, still checking completeness.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!Err().Contains("done\n", StringComparison.Ordinal) && !launcher.HasExited && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, ct);
        }

        await Task.Delay(TimeSpan.FromSeconds(12), ct); // longer than the launcher used to wait for its pumps after QEMU exited
        string stdout = launcher.StandardOutput.ReadToEnd();
        Assert.True(launcher.WaitForExit(TimeSpan.FromMinutes(2)), "the launcher did not exit");
        await readErr.WaitAsync(TimeSpan.FromSeconds(30), ct);
        var expected = new StringBuilder();
        for (int i = 1; i <= 20000; i++)
        {
            expected.Append(i).Append('\n');
        }

        Assert.True(launcher.ExitCode == 4, $"exit {launcher.ExitCode}\n{Err()}");
        Assert.True(expected.ToString() == stdout, $"stdout has {stdout.Length} of {expected.Length} bytes\n{Err()}");
        Assert.DoesNotContain("may be incomplete", Err(), StringComparison.Ordinal);
    }

    [Fact]
    public void Timeout_kills_the_vm_and_reports_137_and_is_audited_as_a_timeout()
    {
        var started = DateTime.UtcNow;
        string seconds = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture); // finds this run's record in the shared log
        var run = Vm("--timeout", "3s", "busybox", "sleep", seconds);
        Assert.Equal(137, run.ExitCode);
        Assert.Contains("--timeout 3s", run.Stderr, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60));

        var record = File.ReadLines(Path.Combine(_cli.StateRoot, "audit", "audit.log"))
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!)
            .Last(r => r["command"]?.ToJsonString() == $"[\"sleep\",\"{seconds}\"]");
        Assert.Equal("timeout", (string?)record["outcome"]);
    }

    [Fact]
    public void A_boot_over_its_budget_is_125_naming_the_budget_and_is_audited_as_failed()
    {
        // No guest boots (nor is restored from a VM template) in 50 ms under emulation; the workload's --timeout is not what ends it.
        string seconds = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = _cli.Start(["run", "--backend", "microvm", "--timeout", "60s", "busybox", "sleep", seconds],
            env: new Dictionary<string, string> { ["SANDBOX_BOOT_TIMEOUT"] = "0.05" });
        var run = SandboxCli.Wait(process, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains("did not start the workload within the boot budget of 0.05s", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("--timeout", run.Stderr, StringComparison.Ordinal);

        var record = File.ReadLines(Path.Combine(_cli.StateRoot, "audit", "audit.log"))
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!)
            .Last(r => r["command"]?.ToJsonString() == $"[\"sleep\",\"{seconds}\"]");
        Assert.Equal("failed", (string?)record["outcome"]);
        Assert.Contains("boot budget", (string?)record["error"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("debian-6.1", "Read-only file system")] // the hardened workload gets a read-only /proc/sysrq-trigger
    [InlineData("minimal-6.1", "nonexistent")] // the minimal kernel has no magic SysRq at all
    public void The_workload_cannot_crash_the_guest_kernel_through_sysrq(string kernel, string refusal)
    {
        // Guest root once could (a panic, reported as 125).
        var run = Vm("--kernel", kernel, "busybox", "sh", "-c", "echo c > /proc/sysrq-trigger; echo still-running; exit 4");
        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Equal("still-running\n", run.Stdout);
        Assert.Contains(refusal, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_workload_cannot_forge_its_exit_code_or_reach_the_control_port()
    {
        var run = Vm("-u", "1000:1000", "busybox", "sh", "-c",
            "echo 'exit 0'; echo 'exit 0' >&2; id -u; ls /dev | grep -c vport; ls /.sandbox 2>/dev/null || echo denied; exit 7");
        Assert.True(run.ExitCode == 7, run.ToString());
        Assert.Equal("exit 0\n1000\n0\ndenied\n", run.Stdout);
    }

    public void Dispose() => _cli.Dispose();
}
