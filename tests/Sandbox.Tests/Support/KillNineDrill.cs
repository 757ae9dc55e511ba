using System.Diagnostics;
using System.Text.Json;

namespace Sandbox.Tests.Support;

/// <summary>
/// The issue's crash drill: kill -9 of the CLI (`run -d`, `stop`, `rm -f`), of the supervisor, or of
/// both, each at a random instant, then the next CLI call must reconcile: `ps` never shows a sandbox
/// running whose supervisor is dead, and once everything is removed nothing is left (processes,
/// mounts, cgroups, ID leases, runtime state, run directories). The seed is in every failure message.
/// </summary>
public sealed class KillNineDrill(SandboxCli cli, string[] runFlags, string prefix, int seed, TimeSpan maxDelay)
{
    private readonly Random _random = new(seed);

    /// <summary>A fresh seed, or $SANDBOX_DRILL_SEED to replay the one a failure printed.</summary>
    public static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("SANDBOX_DRILL_SEED"), out int replay) ? replay : Environment.TickCount;
    private readonly List<string> _log = [];

    public void Run(int iterations)
    {
        for (int i = 0; i < iterations; i++)
        {
            string name = $"{prefix}-{i}";
            int delay = _random.Next((int)maxDelay.TotalMilliseconds);
            string scenario = (i % 5) switch
            {
                0 => "kill -9 of run -d",
                1 => "kill -9 of stop",
                2 => "kill -9 of rm -f",
                3 => "kill -9 of the supervisor",
                _ => "kill -9 of run -d and of the supervisor",
            };
            _log.Add($"{name}: {scenario} after {delay} ms");
            switch (i % 5)
            {
                case 0:
                    KillAfter(cli.Start(RunArgs(name)), delay);
                    break;
                case 1:
                    Ok(RunArgs(name));
                    KillAfter(cli.Start(["stop", "-t", "1", name]), delay);
                    break;
                case 2:
                    Ok(RunArgs(name));
                    KillAfter(cli.Start(["rm", "-f", name]), delay);
                    break;
                default:
                    using (var start = cli.Start(RunArgs(name)))
                    {
                        int supervisor = WaitForSupervisor(name, TimeSpan.FromSeconds(30));
                        Thread.Sleep(delay);
                        Kill(supervisor);
                        if (i % 5 == 4)
                        {
                            Kill(start.Id);
                        }

                        start.WaitForExit(120_000);
                        // kill(2) only queues SIGKILL: "the next CLI call" comes once it is dead (gone or a zombie).
                        Eventually(() => IsGone(supervisor), () => $"supervisor {supervisor} survived SIGKILL");
                    }

                    break;
            }

            AssertTruthful(); // this call reconciles
        }

        var ids = Mine().Select(r => r.GetProperty("id").GetString()!).ToList();
        foreach (string id in ids)
        {
            var rm = cli.Run(["rm", "-f", id], stdin: null, TimeSpan.FromMinutes(3));
            Assert.True(rm.ExitCode == 0, $"{Context()}\nrm -f {id}: {rm}");
        }

        Assert.Empty(Mine());
        Eventually(() => Leaks(ids).Count == 0, () => $"left behind:\n{string.Join('\n', Leaks(ids))}");
    }

    private string[] RunArgs(string name) => ["run", "-d", "--name", name, .. runFlags, "busybox", "sh", "-c", "echo up; exec sleep 600"];

    private void Ok(string[] args)
    {
        var run = cli.Run(args, stdin: null, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"{Context()}\n{run}");
    }

    private static void KillAfter(Process process, int delay)
    {
        using (process)
        {
            Thread.Sleep(delay);
            Kill(process.Id);
            process.WaitForExit(120_000);
        }
    }

    private static void Kill(int pid) => _ = Tmds.Linux.LibC.kill(pid, 9);

    private static bool IsGone(int pid)
    {
        string stat = ReadOrEmpty($"/proc/{pid}/stat");
        int end = stat.LastIndexOf(')');
        return end < 0 || end + 2 >= stat.Length || stat[end + 2] is 'Z' or 'X';
    }

    /// <summary>
    /// Every row of this drill shown running or restarting has a live supervisor of that sandbox. A
    /// supervisor may end after ps reconciled and before it is checked (a stop whose CLI was killed
    /// goes on in the supervisor, and a microVM takes a while to power off), so a row is only wrong if
    /// the next ps, which reconciles again after that supervisor died, still shows it running.
    /// </summary>
    private void AssertTruthful()
    {
        var dead = Untruthful(Mine());
        if (dead.Count == 0)
        {
            return;
        }

        var still = Untruthful(Mine()).Where(dead.Contains).ToList();
        Assert.True(still.Count == 0, $"{Context()}\nps shows {string.Join(", ", still)} but its supervisor is dead");
    }

    // "ID STATUS PID" of the rows shown running or restarting whose supervisor is not alive.
    private static List<string> Untruthful(List<JsonElement> rows) =>
        [.. rows.Select(row => (Row: row, Status: row.GetProperty("status").GetString()!, Id: row.GetProperty("id").GetString()!))
            .Where(r => r.Status is "running" or "restarting")
            .Where(r => !(r.Row.TryGetProperty("supervisorPid", out var pid) && IsSupervisorOf(pid.GetInt32(), r.Id)))
            .Select(r => $"{r.Id} {r.Status} {(r.Row.TryGetProperty("supervisorPid", out var pid) ? pid.GetInt32() : 0)}")];

    private List<JsonElement> Mine()
    {
        var ps = cli.Run(["ps", "-a", "--json"], stdin: null, TimeSpan.FromMinutes(2));
        Assert.True(ps.ExitCode == 0, $"{Context()}\n{ps}");
        return [.. JsonDocument.Parse(ps.Stdout).RootElement.EnumerateArray()
            .Where(r => r.GetProperty("name").GetString()!.StartsWith(prefix + "-", StringComparison.Ordinal))];
    }

    private int WaitForSupervisor(string name, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            // Its command line: bin/sandbox supervise ID ... --name NAME ...
            foreach (var (pid, argv) in Processes())
            {
                int verb = Array.IndexOf(argv, "supervise");
                if (verb >= 0 && argv.Contains(name) && argv.Contains(cli.StateRoot))
                {
                    return pid;
                }
            }

            Thread.Sleep(10);
        }

        throw new TimeoutException($"{Context()}\nno supervisor of {name} appeared");
    }

    private static bool IsSupervisorOf(int pid, string id) =>
        Processes().Any(p => p.Pid == pid && Array.IndexOf(p.Argv, "supervise") is int v && v >= 0 && v + 1 < p.Argv.Length && p.Argv[v + 1] == id);

    private List<string> Leaks(IReadOnlyList<string> ids)
    {
        var leaks = new List<string>();
        leaks.AddRange(Processes().Where(p => ids.Any(id => p.Argv.Any(a => a.Contains(id, StringComparison.Ordinal)))).Select(p => $"process {p.Pid}: {string.Join(' ', p.Argv)}"));
        leaks.AddRange(File.ReadLines("/proc/self/mountinfo").Where(l => ids.Any(id => l.Contains(id, StringComparison.Ordinal))).Select(l => $"mount {l}"));
        leaks.AddRange(ids.SelectMany(id => new[] { "pids", "memory", "cpu", "freezer", "" }.Select(c => Path.Combine("/sys/fs/cgroup", c, "sandbox", id)))
            .Where(Directory.Exists).Select(d => $"cgroup {d}"));
        if (Directory.Exists(Sandbox.Runtime.IdLease.DefaultDirectory))
        {
            leaks.AddRange(Directory.EnumerateFiles(Sandbox.Runtime.IdLease.DefaultDirectory, "*.lease")
                .Where(f => ids.Any(id => ReadOrEmpty(f).Contains(id, StringComparison.Ordinal))).Select(f => $"ID lease {f}"));
        }

        string runtimes = Path.Combine(cli.StateRoot, "runtime");
        if (Directory.Exists(runtimes))
        {
            leaks.AddRange(Directory.EnumerateDirectories(runtimes).SelectMany(Directory.EnumerateDirectories)
                .Where(d => ids.Contains(Path.GetFileName(d))).Select(d => $"runtime state {d}"));
        }

        leaks.AddRange(ids.Select(id => Path.Combine(cli.StateRoot, "run", id)).Where(Directory.Exists).Select(d => $"run directory {d}"));
        leaks.AddRange(ids.Select(id => Path.Combine(cli.StateRoot, "sandboxes", id)).Where(Directory.Exists).Select(d => $"sandbox directory {d}"));
        return leaks;
    }

    private static List<(int Pid, string[] Argv)> Processes()
    {
        var found = new List<(int, string[])>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && ReadOrEmpty(Path.Combine(dir, "cmdline")) is { Length: > 0 } cmdline)
            {
                found.Add((pid, cmdline.TrimEnd('\0').Split('\0')));
            }
        }

        return found;
    }

    private static string ReadOrEmpty(string path)
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

    private string Context() => $"seed {seed}; {string.Join("; ", _log)}";

    private void Eventually(Func<bool> condition, Func<string> what)
    {
        for (int i = 0; i < 600; i++)
        {
            if (condition())
            {
                return;
            }

            Thread.Sleep(100);
        }

        Assert.Fail($"{Context()}\n{what()}");
    }
}
