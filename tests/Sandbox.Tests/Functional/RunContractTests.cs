using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>The user contract of `sandbox run` with the container backend: streams, flags and exit codes.</summary>
public sealed class RunContractTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void Prints_output_and_returns_the_workload_exit_code()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "--", "sh", "-c", "echo hello; exit 7");
        Assert.Equal(7, run.ExitCode);
        Assert.Equal("hello\n", run.Stdout);
    }

    [Fact]
    public void Keeps_stdout_and_stderr_apart()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "sh", "-c", "echo out; echo err >&2");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("out\n", run.Stdout);
        Assert.Equal("err\n", run.Stderr);
    }

    [Fact]
    public void Applies_env_workdir_and_user_flags()
    {
        var run = _cli.Run("run", "--trust", "trusted", "-e", "K=V", "-w", "/tmp", "-u", "1000:2000",
            "--memory", "64M", "--pids-limit", "64", "busybox", "--", "sh", "-c", "echo $K; pwd; id -u; id -g");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("V\n/tmp\n1000\n2000\n", run.Stdout);
    }

    [Fact]
    public void Sandbox_trace_prints_the_launchers_phases_in_order_on_stderr_only()
    {
        var run = SandboxCli.Wait(_cli.Start(["run", "--trust", "trusted", "busybox", "echo", "out"],
            env: new Dictionary<string, string> { ["SANDBOX_TRACE"] = "1" }), TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("out\n", run.Stdout);
        string[] phases = ["command line parsed", "policy decided", "spec built, backend ready", "created", "start audited", "exited", "deleted", "exit audited"];
        var traced = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("sandbox-trace: ", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(" ms) ", StringComparison.Ordinal) + 5)..])
            .ToArray();
        Assert.Equal(phases, traced);
    }

    [Fact]
    public void Tmp_is_world_writable_and_sticky_so_a_workload_user_other_than_root_can_use_it()
    {
        var run = _cli.Run("run", "--trust", "trusted", "-u", "1000:1000", "busybox", "--", "sh", "-c",
            "stat -c %a /tmp && echo x > /tmp/mine && cat /tmp/mine");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("1777\nx\n", run.Stdout);
    }

    [Fact]
    public void Passes_stdin_through()
    {
        var run = _cli.Run(["run", "--trust", "trusted", "busybox", "cat"], stdin: "line one\nline two\n");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("line one\nline two\n", run.Stdout);
    }

    [Fact]
    public void Closed_stdin_reaches_the_workload_as_eof()
    {
        var run = _cli.Run(["run", "--trust", "trusted", "busybox", "sh", "-c", "cat; echo done"], stdin: string.Empty);
        Assert.Equal("done\n", run.Stdout);
    }

    [Fact]
    public void Streams_large_output_without_loss()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "sh", "-c", "head -c 5000000 /dev/zero | wc -c");
        Assert.Equal("5000000\n", run.Stdout);
    }

    [Fact]
    public void Missing_command_exits_127_with_its_name()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "no-such-command");
        Assert.Equal(127, run.ExitCode);
        Assert.Contains("no-such-command", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_executable_command_exits_126()
    {
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "/etc/passwd");
        Assert.Equal(126, run.ExitCode);
        Assert.Contains("/etc/passwd", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_that_fails_to_exec_at_runtime_maps_to_127()
    {
        // /tmp is created fresh inside the sandbox, so only the OCI runtime can find out.
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "/tmp/nothing-here");
        Assert.Equal(127, run.ExitCode);
    }

    [Theory]
    [InlineData("--bogus-flag")]
    [InlineData("--memory", "lots")]
    [InlineData("--pids-limit", "0")]
    [InlineData("--timeout", "-3s")]
    [InlineData("-u", "root")]
    [InlineData("--network", "host")]
    [InlineData("-w", "relative/dir")]
    [InlineData("-w", "/does/not/exist")]
    [InlineData("--seccomp-profile", "no-such-profile")]
    [InlineData("--runtime", "kata")]
    public void Bad_flags_exit_125_naming_the_problem(params string[] flag)
    {
        var run = _cli.Run(["run", "--trust", "trusted", .. flag, "busybox", "true"], stdin: null);
        Assert.Equal(125, run.ExitCode);
        Assert.StartsWith("sandbox: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(flag[^1].TrimStart('-'), run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_image_exits_125_naming_it()
    {
        var run = _cli.Run("run", "--trust", "trusted", "no-such-image", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("'no-such-image' not found", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Untrusted_is_the_default_and_fails_closed_without_a_fetched_guest_kernel()
    {
        var run = _cli.Run("run", "busybox", "true"); // a fresh state root: no kernel fetched
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("microVM", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("sandbox kernel fetch debian-6.1", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("TCG", run.Stderr, StringComparison.Ordinal); // refused before any VM started
    }

    [Fact]
    public void Kernel_flag_is_refused_for_the_container_backend()
    {
        var run = _cli.Run("run", "--trust", "trusted", "--backend", "container", "--kernel", "debian-6.1", "busybox", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("refused", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_a_container_does_not_loosen_untrusted()
    {
        var run = _cli.Run("run", "--backend", "container", "busybox", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("refused", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_on_a_foreground_run_is_refused_not_ignored()
    {
        // -d is built (LifecycleTests); a foreground run keeps no record, so a name would mean nothing.
        var run = _cli.Run(["run", "--trust", "trusted", "--name", "fg", "busybox", "true"], stdin: null);
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("--name: only a detached sandbox (-d) has a name", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void A_kernel_the_host_cannot_give_needs_the_microvm_and_is_refused_fail_closed()
    {
        var run = _cli.Run("run", "--trust", "trusted", "--kernel", "debian-2.6", "busybox", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("not in the kernel catalog", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("microVM", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_policy_is_refused_with_its_position()
    {
        var run = _cli.Run("run", "--trust", "trusted", "--policy", "/etc/hostname", "busybox", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.StartsWith("sandbox: /etc/hostname:1:1: the policy must be a mapping", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeout_kills_the_workload_and_reports_137()
    {
        var run = _cli.Run("run", "--trust", "trusted", "--timeout", "1s", "busybox", "sleep", "60");
        Assert.Equal(137, run.ExitCode);
        Assert.Contains("--timeout", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_child_killed_by_a_signal_reports_128_plus_n()
    {
        // PID 1 of a PID namespace ignores signals it has no handler for, so the victim is a child.
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "sh", "-c", "sh -c 'kill -TERM $$'; exit $?");
        Assert.Equal(143, run.ExitCode);
    }

    [Fact]
    public void Sigterm_to_the_launcher_reaches_the_workload()
    {
        using var launcher = _cli.Start(["run", "--trust", "trusted", "busybox", "sh", "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.1; done"]);
        string? first = launcher.StandardOutput.ReadLine();
        Assert.Equal("ready", first);
        Assert.Equal(0, Tmds.Linux.LibC.kill(launcher.Id, 15));
        string rest = launcher.StandardOutput.ReadToEnd();
        Assert.True(launcher.WaitForExit(TimeSpan.FromSeconds(30)), "the launcher did not exit after SIGTERM");
        Assert.Equal(42, launcher.ExitCode);
        Assert.Equal("got-term\n", rest);
    }

    [Fact]
    public void A_workload_ignoring_sigterm_is_killed_after_the_grace_period()
    {
        using var launcher = _cli.Start(["run", "--trust", "trusted", "busybox", "sh", "-c", "trap '' TERM INT; echo ready; sleep 120"]);
        Assert.Equal("ready", launcher.StandardOutput.ReadLine());
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, Tmds.Linux.LibC.kill(launcher.Id, 15));
        Assert.True(launcher.WaitForExit(TimeSpan.FromSeconds(60)), "the launcher did not give up on an ignored SIGTERM");
        Assert.Equal(137, launcher.ExitCode);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));
    }

    public void Dispose() => _cli.Dispose();
}
