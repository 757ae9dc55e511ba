using System.Diagnostics;
using System.Text.Json;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Detached sandboxes (container backend): `run -d` under a supervisor, and docker's verbs on it.
/// Each test removes its sandboxes (rm -f) before its state root is reaped and checked for leaks.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class LifecycleTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void A_detached_run_prints_its_id_and_its_logs_are_kept_while_it_runs_and_after_it_exits()
    {
        string id = _cli.Detach("--name", "talker", "busybox", "sh", "-c", "echo out-line; echo err-line >&2; sleep 300");
        Assert.Matches("^sb-[0-9a-f]{12}$", id);
        Eventually(() => _cli.Run("logs", "talker").Stdout.Contains("out-line", StringComparison.Ordinal), "the output while it runs");

        var logs = Ok(_cli.Run("logs", id));
        Assert.Equal("out-line\n", logs.Stdout); // each stream to its own
        Assert.Equal("err-line\n", logs.Stderr);
        var ps = Ok(_cli.Run("ps"));
        Assert.Contains(ps.Stdout.Split('\n'), l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("talker", StringComparison.Ordinal) && l.Contains(" Up ", StringComparison.Ordinal));
        Assert.Equal("container", _cli.Row(id).GetProperty("backend").GetString());

        Assert.Equal("talker\n", Ok(_cli.Run("stop", "-t", "1", "talker")).Stdout);
        Assert.Equal("137\n", Ok(_cli.Run("wait", "talker")).Stdout); // sh as PID 1 ignores SIGTERM: killed after the grace
        Assert.DoesNotContain(id, Ok(_cli.Run("ps")).Stdout, StringComparison.Ordinal);
        Assert.Contains("Exited (137)", Ok(_cli.Run("ps", "-a")).Stdout, StringComparison.Ordinal);

        var after = Ok(_cli.Run("logs", "--timestamps", "talker"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out-line\n$", after.Stdout);
        var tail = Ok(_cli.Run("logs", "--tail", "2", "talker")); // records of both streams count
        Assert.Equal(("out-line\n", "err-line\n"), (tail.Stdout, tail.Stderr));
        Assert.Equal("", Ok(_cli.Run("logs", "--tail", "0", "talker")).Stdout);
        AssertNoProcessNamed(id);
    }

    [Fact]
    public void Logs_follow_prints_output_until_the_sandbox_exits()
    {
        string id = _cli.Detach("busybox", "sh", "-c", "for i in 1 2 3; do echo tick-$i; sleep 1; done");
        var follow = Ok(_cli.Run(["logs", "-f", id], stdin: null, TimeSpan.FromSeconds(60)));
        Assert.Equal("tick-1\ntick-2\ntick-3\n", follow.Stdout);
        Assert.Equal("0\n", Ok(_cli.Run("wait", id)).Stdout);
    }

    [Fact]
    public void Kill_delivers_the_signal_and_wait_prints_the_exit_code_the_workload_chose()
    {
        string id = _cli.Detach("busybox", "sh", "-c", "trap 'exit 7' TERM; echo trapped; while :; do sleep 0.1; done");
        Eventually(() => _cli.Run("logs", id).Stdout == "trapped\n", "the trap set"); // before it, PID 1 ignores SIGTERM
        Assert.Equal(id + "\n", Ok(_cli.Run("kill", "-s", "SIGTERM", id)).Stdout);
        Assert.Equal("7\n", Ok(_cli.Run("wait", id)).Stdout);

        var again = _cli.Run("kill", id);
        Assert.Equal(125, again.ExitCode);
        Assert.Contains($"sandbox {id} is not running", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Rm_refuses_a_running_sandbox_without_force_and_removes_it_with_force()
    {
        string id = _cli.Detach("--name", "busy", "busybox", "sleep", "300");
        var refused = _cli.Run("rm", "busy");
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("sandbox busy is running", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("rm -f busy", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(" Up ", Ok(_cli.Run("ps")).Stdout, StringComparison.Ordinal);

        Assert.Equal("busy\n", Ok(_cli.Run("rm", "-f", "busy")).Stdout);
        Assert.Equal("[]", Ok(_cli.Run("ps", "-a", "--json")).Stdout.Trim());
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "sandboxes", id)), "the sandbox's log and socket directory was left");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), "the run directory was left");
        AssertNoProcessNamed(id);

        string audit = File.ReadAllText(Path.Combine(_cli.StateRoot, "audit", "audit.log"));
        string[] outcomes = [.. audit.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("sandbox").GetString() == id).Select(r => r.GetProperty("outcome").GetString()!)];
        Assert.Equal(["started", "exited", "removed"], outcomes);
    }

    [Fact]
    public void A_detached_run_with_rm_leaves_no_record_once_it_exits()
    {
        string id = _cli.Detach("--rm", "busybox", "true");
        Eventually(() => !Ok(_cli.Run("ps", "-a")).Stdout.Contains(id, StringComparison.Ordinal), "the record removed");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "sandboxes", id)));
    }

    [Fact]
    public void Names_are_unique_and_a_taken_name_writes_nothing()
    {
        string id = _cli.Detach("--name", "only", "busybox", "sleep", "300");
        var second = _cli.Run("run", "-d", "--name", "only", "--trust", "trusted", "busybox", "true");
        Assert.Equal(125, second.ExitCode);
        Assert.Contains("'only' already exists", second.Stderr, StringComparison.Ordinal);
        Assert.Equal("", second.Stdout);
        var rows = JsonDocument.Parse(Ok(_cli.Run("ps", "-a", "--json")).Stdout).RootElement;
        Assert.Equal(id, Assert.Single(rows.EnumerateArray()).GetProperty("id").GetString());
        Assert.Single(Directory.GetDirectories(Path.Combine(_cli.StateRoot, "sandboxes")));
    }

    [Fact]
    public void The_log_stays_within_its_cap_and_keeps_the_newest_output()
    {
        var env = new Dictionary<string, string> { ["SANDBOX_LOG_MAX_SIZE"] = "64K" };
        using var run = _cli.Start(["run", "-d", "--trust", "trusted", "busybox", "sh", "-c",
            "i=0; while [ $i -lt 20000 ]; do echo line-$i-padding-padding-padding-padding; i=$((i+1)); done"], env: env);
        string id = Ok(SandboxCli.Wait(run, TimeSpan.FromMinutes(1))).Stdout.Trim();
        Assert.Equal("0\n", Ok(_cli.Run(["wait", id], stdin: null, TimeSpan.FromMinutes(3))).Stdout);

        string dir = Path.Combine(_cli.StateRoot, "sandboxes", id);
        long size = new FileInfo(Path.Combine(dir, "container.log")).Length + new FileInfo(Path.Combine(dir, "container.log.1")).Length;
        Assert.InRange(size, 16 << 10, (64 << 10) + 8192); // the cap, and at most one record over it
        string tail = Ok(_cli.Run("logs", "--tail", "1", id)).Stdout;
        Assert.EndsWith("line-19999-padding-padding-padding-padding\n", tail, StringComparison.Ordinal);
        Assert.DoesNotContain("line-0-", Ok(_cli.Run("logs", id)).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_killed_supervisor_is_never_shown_running_and_leaves_nothing_behind()
    {
        string id = _cli.Detach("--name", "orphan", "busybox", "sh", "-c", "echo up; exec sleep 300");
        int supervisor = _cli.Row(id).GetProperty("supervisorPid").GetInt32();
        Eventually(() => _cli.Run("logs", id).Stdout == "up\n", "the workload runs (its cgroups exist only from then on)");
        string[] cgroups = [.. CgroupDirs(id).Where(Directory.Exists)];
        Assert.NotEmpty(cgroups);
        using (var p = Process.GetProcessById(supervisor))
        {
            p.Kill(entireProcessTree: false); // SIGKILL: no chance to record or tear down
            p.WaitForExit();
        }

        var row = _cli.Row(id); // this call reconciles
        Assert.Equal("exited", row.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("exitCode").ValueKind);
        Assert.Contains("Exited (supervisor lost)", Ok(_cli.Run("ps", "-a")).Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(id, Ok(_cli.Run("ps")).Stdout, StringComparison.Ordinal);
        Eventually(() => !ProcessesNamed(id).Any(), "the workload and its runtime reaped");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), "run directory left behind");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "runtime", "runc", id)), "runtime state left behind");
        Assert.All(cgroups, c => Assert.False(Directory.Exists(c), $"cgroup {c} left behind"));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(id, StringComparison.Ordinal));
        Assert.Equal("255\n", Ok(_cli.Run("wait", "orphan")).Stdout);
    }

    [Fact]
    public void SIGTERM_to_the_supervisor_stops_the_workload_gracefully_and_records_its_exit()
    {
        string id = _cli.Detach("busybox", "sh", "-c", "trap 'echo bye; exit 7' TERM; echo trapped; while :; do sleep 0.1; done");
        int supervisor = _cli.Row(id).GetProperty("supervisorPid").GetInt32();
        Eventually(() => _cli.Run("logs", id).Stdout == "trapped\n", "the trap set");
        Assert.Equal(0, Tool.Capture("kill", "-TERM", supervisor.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode);

        Assert.Equal("7\n", Ok(_cli.Run("wait", id)).Stdout);
        Assert.Equal("trapped\nbye\n", Ok(_cli.Run("logs", id)).Stdout);
        Eventually(() => !Directory.Exists($"/proc/{supervisor}"), "the supervisor gone");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), "the supervisor left its run directory");
    }

    [Fact]
    public void Inspect_shows_the_state_the_decision_the_rule_the_applied_hardening_and_the_mounts()
    {
        string id = _cli.Detach("--name", "looked", "-v", "seen:/data", "busybox", "sleep", "300");
        var json = JsonDocument.Parse(Ok(_cli.Run("inspect", "--json", "looked")).Stdout).RootElement;
        Assert.Equal(id, json.GetProperty("state").GetProperty("id").GetString());
        Assert.Equal("running", json.GetProperty("state").GetProperty("status").GetString());
        var started = json.GetProperty("started");
        Assert.Equal("container", started.GetProperty("decision").GetProperty("backend").GetString());
        Assert.Equal("trusted-to-container", started.GetProperty("rule").GetProperty("name").GetString());
        Assert.True(started.GetProperty("applied").GetProperty("noNewPrivileges").GetBoolean());
        Assert.Equal("/data", Assert.Single(started.GetProperty("applied").GetProperty("volumes").EnumerateArray()).GetProperty("target").GetString());

        string text = Ok(_cli.Run("inspect", id)).Stdout;
        Assert.Contains("status:   Up", text, StringComparison.Ordinal);
        Assert.Contains("rule:     trusted-to-container", text, StringComparison.Ordinal);
        Assert.Contains("          mounts /data (rw,", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_restart_starts_from_a_clean_state_and_ps_counts_them()
    {
        // The marker of a previous attempt must never be found: every attempt gets a fresh writable layer.
        string id = _cli.Detach("--restart", "on-failure:3", "busybox", "sh", "-c",
            "if [ -e /tmp/marker ]; then echo seen-marker; exit 0; fi; touch /tmp/marker; echo fresh; exit 1");
        Assert.Equal("1\n", Ok(_cli.Run(["wait", id], stdin: null, TimeSpan.FromMinutes(2))).Stdout);
        Assert.Equal(string.Concat(Enumerable.Repeat("fresh\n", 4)), Ok(_cli.Run("logs", id)).Stdout); // the first run and 3 restarts
        var row = _cli.Row(id);
        Assert.Equal(3, row.GetProperty("restartCount").GetInt32());
        Assert.Equal(1, row.GetProperty("exitCode").GetInt32());
        Assert.Matches(@"Exited \(1\)\s+3\s", Ok(_cli.Run("ps", "-a")).Stdout);

        string audit = File.ReadAllText(Path.Combine(_cli.StateRoot, "audit", "audit.log"));
        Assert.Equal(4, audit.Split('\n').Count(l => l.Contains(id, StringComparison.Ordinal) && l.Contains("\"outcome\":\"started\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Stop_ends_an_always_restarting_sandbox_for_good()
    {
        string id = _cli.Detach("--restart", "always", "busybox", "sh", "-c", "echo attempt; sleep 0.3; exit 2");
        Eventually(() => _cli.Row(id).GetProperty("restartCount").GetInt32() >= 2, "two restarts");
        Ok(_cli.Run("stop", "-t", "1", id));
        var row = _cli.Row(id);
        Assert.Equal("exited", row.GetProperty("status").GetString());
        int count = row.GetProperty("restartCount").GetInt32();
        Thread.Sleep(1500);
        Assert.Equal(count, _cli.Row(id).GetProperty("restartCount").GetInt32()); // nothing restarted it
        AssertNoProcessNamed(id);
    }

    [Fact]
    public void Twenty_detached_sandboxes_started_at_once_all_run_and_all_go()
    {
        string[] ids = [.. Enumerable.Range(0, 20).AsParallel().WithDegreeOfParallelism(20)
            .Select(i => _cli.Detach("--name", $"many-{i}", "busybox", "sleep", "300"))];
        Assert.Equal(20, ids.Distinct().Count());
        var rows = JsonDocument.Parse(Ok(_cli.Run("ps", "--json")).Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(20, rows.Count);
        Assert.All(rows, r => Assert.Equal("running", r.GetProperty("status").GetString()));

        Parallel.ForEach(ids, new ParallelOptions { MaxDegreeOfParallelism = 20 }, id => Ok(_cli.Run("rm", "-f", id)));
        Assert.Equal("[]", Ok(_cli.Run("ps", "-a", "--json")).Stdout.Trim());
        Assert.All(ids, AssertNoProcessNamed);
        Assert.All(ids, id => Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), $"{id}'s run directory left"));
    }

    [Theory]
    [InlineData("logs")]
    [InlineData("stop")]
    [InlineData("kill")]
    [InlineData("rm")]
    [InlineData("wait")]
    [InlineData("inspect")]
    public void A_verb_on_a_missing_sandbox_names_it(string verb)
    {
        var run = _cli.Run(verb, "ghost");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("no such sandbox: ghost", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("sandbox ps -a", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_lifecycle_input_is_refused_with_125_and_nothing_written()
    {
        foreach (string[] args in new[]
        {
            new[] { "run", "-d", "-t", "--trust", "trusted", "busybox", "true" },
            ["run", "--name", "fg", "--trust", "trusted", "busybox", "true"],
            ["kill", "-s", "NOPE", "x"],
            ["stop", "-t", "-1", "x"],
            ["logs", "--tail", "-2", "x"],
            ["run", "--restart", "always", "--trust", "trusted", "busybox", "true"],
            ["run", "-d", "--rm", "--restart", "always", "--trust", "trusted", "busybox", "true"],
            ["run", "-d", "--restart", "sometimes", "--trust", "trusted", "busybox", "true"],
        })
        {
            var run = _cli.Run(args);
            Assert.True(run.ExitCode == 125, $"{string.Join(' ', args)}: {run}");
            Assert.StartsWith("sandbox: ", run.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal("[]", Ok(_cli.Run("ps", "-a", "--json")).Stdout.Trim());
    }

    [Fact]
    public void A_refused_detached_run_reports_why_and_leaves_no_record()
    {
        var run = _cli.Run("run", "-d", "--trust", "trusted", "no-such-image:1", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("no-such-image", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
        Assert.Equal("[]", Ok(_cli.Run("ps", "-a", "--json")).Stdout.Trim());
        Assert.Empty(Directory.GetDirectories(Path.Combine(_cli.StateRoot, "sandboxes")));
    }

    private static void AssertNoProcessNamed(string id) => Eventually(() => !ProcessesNamed(id).Any(), $"no process of {id} left");

    // The supervisor and the runtime carry the ID on their command lines.
    private static IEnumerable<int> ProcessesNamed(string id)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (cmdline.Contains(id, StringComparison.Ordinal) && int.TryParse(Path.GetFileName(dir), out int pid))
            {
                yield return pid;
            }
        }
    }

    private static IEnumerable<string> CgroupDirs(string id) =>
        new[] { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup" }
            .Select(c => Path.Combine(c, "sandbox", id));

    // Whatever a test left running is removed before the root is reaped and checked for leaks.
    public void Dispose()
    {
        try
        {
            var rows = JsonDocument.Parse(_cli.Run("ps", "-a", "--json").Stdout).RootElement;
            foreach (var row in rows.EnumerateArray())
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
