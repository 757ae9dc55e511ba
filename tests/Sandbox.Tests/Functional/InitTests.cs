using System.Diagnostics;
using System.Text.Json;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Functional;

/// <summary>
/// `run --init` on the container backend: sandbox-init is PID 1, so `stop`'s SIGTERM reaches a shell
/// workload (143 at once, not 137 after the grace), orphans are reaped, and exit codes pass through.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class InitTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void Stop_of_a_shell_under_init_ends_within_the_grace_with_143_and_inspect_records_the_init()
    {
        string id = _cli.Detach("--init", "--name", "inited", "busybox", "sh", "-c", "sleep 1000");
        var clock = Stopwatch.StartNew();
        Assert.Equal("inited\n", Ok(_cli.Run("stop", "-t", "10", "inited")).Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"stop took {clock.Elapsed}: SIGTERM was not forwarded, the grace ran out");
        Assert.Equal("143\n", Ok(_cli.Run("wait", "inited")).Stdout);

        var applied = JsonDocument.Parse(Ok(_cli.Run("inspect", "--json", id)).Stdout).RootElement.GetProperty("started").GetProperty("applied");
        Assert.Equal("sandbox-init", applied.GetProperty("init").GetString());
        Assert.Contains("init sandbox-init as PID 1", Ok(_cli.Run("inspect", id)).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_reaps_the_orphans_a_pid_1_workload_leaves_as_zombies()
    {
        // The subshell's sleep is orphaned at once; PID 1 adopts it. `sleep` as PID 1 never reaps it.
        string[] workload = ["busybox", "sh", "-c", "(sleep 0.1 &); exec sleep 1001"];
        string bare = _cli.Detach(workload);
        string inited = _cli.Detach(["--init", .. workload]);
        Thread.Sleep(1500);
        Assert.Single(ZombiesOf(bare)); // the test sees a zombie where there is one
        Assert.Empty(ZombiesOf(inited));
        Ok(_cli.Run("rm", "-f", bare, inited));
    }

    [Fact]
    public void A_foreground_run_under_init_exits_with_the_workload_s_code_or_128_plus_its_signal()
    {
        Assert.Equal(3, _cli.Run("run", "--init", "--trust", "trusted", "busybox", "sh", "-c", "exit 3").ExitCode);
        Assert.Equal(137, _cli.Run("run", "--init", "--trust", "trusted", "busybox", "sh", "-c", "kill -KILL $$").ExitCode);
        var run = _cli.Run("run", "--init", "--trust", "trusted", "busybox", "sh", "-c", "echo pid=$$ ppid=$PPID");
        Assert.Matches(@"^pid=([2-9]|\d\d+) ppid=1\n$", Ok(run).Stdout); // the workload is not PID 1 but its child
    }

    // Zombies whose parent is the sandbox's PID 1 (sandbox-init, or the workload itself without it).
    private static List<int> ZombiesOf(string id)
    {
        var sleeper = Processes().Single(p => p.Cmdline == "sleep\01001\0" && p.Sandbox == id);
        int pid1 = sleeper.NsPid == 1 ? sleeper.Pid : sleeper.PPid;
        return [.. Processes().Where(p => p.PPid == pid1 && p.State == 'Z').Select(p => p.Pid)];
    }

    private sealed record Proc(int Pid, int PPid, char State, int NsPid, string Cmdline, string? Sandbox);

    private static List<Proc> Processes()
    {
        var found = new List<Proc>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && Read(dir, pid) is { } p)
            {
                found.Add(p);
            }
        }

        return found;
    }

    private static Proc? Read(string dir, int pid)
    {
        try
        {
            var status = File.ReadAllLines(Path.Combine(dir, "status")).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());
            string cgroup = File.ReadAllText(Path.Combine(dir, "cgroup"));
            string? sandbox = cgroup.Split('\n').SelectMany(l => l.Split(':', 3).Last().Split('/')).FirstOrDefault(s => s.StartsWith("sb-", StringComparison.Ordinal));
            return new Proc(pid, int.Parse(status["PPid"], System.Globalization.CultureInfo.InvariantCulture), status["State"][0],
                int.Parse(status["NSpid"].Split('\t', ' ')[^1], System.Globalization.CultureInfo.InvariantCulture),
                File.ReadAllText(Path.Combine(dir, "cmdline")), sandbox);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyNotFoundException)
        {
            return null; // gone meanwhile
        }
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
