using System.Diagnostics;
using System.Text.Json;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Functional;

/// <summary>
/// The lifecycle verbs' edges (container backend): several names at once and a fresh state root.
/// (A stop that SIGKILL cannot end is GracefulStopTests': this kernel kills even frozen tasks.)
/// </summary>
[Collection(SerialTests.Name)]
public sealed class LifecycleVerbsTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void Ps_on_a_fresh_state_root_creates_the_database_and_prints_only_the_header()
    {
        Assert.False(File.Exists(Path.Combine(_cli.StateRoot, "sandboxes.db")));
        var ps = Ok(_cli.Run("ps"));
        Assert.Equal("SANDBOX ID   NAME   IMAGE   BACKEND   STATUS   RESTARTS   CREATED\n", ps.Stdout);
        Assert.Equal("", ps.Stderr);
        Assert.True(File.Exists(Path.Combine(_cli.StateRoot, "sandboxes.db")), "ps did not create the database");
        Assert.Equal("[]", Ok(_cli.Run("ps", "-a", "--json")).Stdout.Trim());
    }

    [Fact]
    public void Stop_kill_and_rm_act_on_each_name_and_report_each_failure()
    {
        string a = _cli.Detach("--name", "one", "busybox", "sleep", "300");
        string b = _cli.Detach("--name", "two", "busybox", "sleep", "300");
        string c = _cli.Detach("--name", "three", "busybox", "sleep", "300");

        var kill = _cli.Run("kill", "one", "ghost", b);
        Assert.Equal(125, kill.ExitCode); // the others were still killed
        Assert.Equal($"one\n{b}\n", kill.Stdout);
        Assert.Contains("no such sandbox: ghost", kill.Stderr, StringComparison.Ordinal);
        Assert.Equal("137\n", Ok(_cli.Run("wait", a)).Stdout);
        Assert.Equal("137\n", Ok(_cli.Run("wait", b)).Stdout);

        var clock = Stopwatch.StartNew();
        var stop = Ok(_cli.Run("stop", "-t", "2", "three", "one")); // one already exited: nothing to do, still fine
        Assert.Equal("three\none\n", stop.Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"stop took {clock.Elapsed}");

        var rm = _cli.Run("rm", "ghost", a, "two", "three");
        Assert.Equal(125, rm.ExitCode);
        Assert.Equal($"{a}\ntwo\nthree\n", rm.Stdout);
        Assert.Single(rm.Stderr.Split('\n'), l => l.StartsWith("sandbox: ", StringComparison.Ordinal));
        Assert.Equal("[]", Ok(_cli.Run("ps", "-a", "--json")).Stdout.Trim());
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "sandboxes", c)));
    }

    [Fact]
    public void Rm_force_of_a_missing_sandbox_says_so_and_is_no_failure_as_in_docker()
    {
        string id = _cli.Detach("busybox", "sleep", "300");
        var rm = _cli.Run("rm", "-f", "ghost", id);
        Assert.Equal(0, rm.ExitCode);
        Assert.Equal(id + "\n", rm.Stdout);
        Assert.Contains("no such sandbox: ghost", rm.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Rm_without_force_removes_the_exited_and_refuses_the_running_by_name()
    {
        string done = _cli.Detach("busybox", "true");
        Assert.Equal("0\n", Ok(_cli.Run("wait", done)).Stdout);
        _cli.Detach("--name", "busy", "busybox", "sleep", "300");
        var rm = _cli.Run("rm", done, "busy");
        Assert.Equal(125, rm.ExitCode);
        Assert.Equal(done + "\n", rm.Stdout);
        Assert.Contains("sandbox busy is running", rm.Stderr, StringComparison.Ordinal);
        Assert.Contains("busy", Ok(_cli.Run("ps")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Stop_of_a_sandbox_whose_supervisor_hangs_kills_the_supervisor_and_reaps_its_sandbox()
    {
        // A stopped (SIGSTOP) supervisor accepts the control connection but never answers: after its
        // deadline (grace + 65 s) and 30 s more the CLI kills it and reconciles. Slow by design (~95 s).
        string id = _cli.Detach("busybox", "sh", "-c", "echo up; exec sleep 300");
        Eventually(() => _cli.Run("logs", id).Stdout == "up\n", "the workload runs");
        int supervisor = _cli.Row(id).GetProperty("supervisorPid").GetInt32();
        Assert.Equal(0, Tmds.Linux.LibC.kill(supervisor, 19)); // SIGSTOP

        var clock = Stopwatch.StartNew();
        Assert.Equal(id + "\n", Ok(_cli.Run(["stop", "-t", "0", id], stdin: null, TimeSpan.FromMinutes(4))).Stdout);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(150));
        var row = _cli.Row(id);
        Assert.Equal("exited", row.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("exitCode").ValueKind); // nobody saw how it ended
        Assert.True(Dead(supervisor), "the supervisor was not killed");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), "run directory left behind");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "runtime", "runc", id)), "runtime state left behind");
    }

    // Gone, or a zombie its parent (here the host's init) has not reaped yet.
    private static bool Dead(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return true;
        }

        return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
    }

    public void Dispose()
    {
        try
        {
            foreach (var row in JsonDocument.Parse(_cli.Run("ps", "-a", "--json").Stdout).RootElement.EnumerateArray())
            {
                _cli.Run("rm", "-f", row.GetProperty("id").GetString()!);
            }
        }
        catch (JsonException)
        {
        }

        _cli.Dispose();
    }
}
