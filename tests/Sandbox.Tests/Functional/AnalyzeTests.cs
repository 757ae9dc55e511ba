using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// `sandbox analyze` end to end: a C sample built static at test time is detonated in a real
/// microVM (TCG) and the report must list exactly what it did, and nothing it forged. Each test
/// boots one VM on the shared kernel root and writes its output under a temporary directory.
/// </summary>
public sealed class AnalyzeTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-analyze-test-").FullName;

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private (CliRun Run, string Out) Analyze(string mode, string timeout = "60s", params string[] extra)
    {
        Require.Tool("gcc");
        string outDir = Path.Combine(_work, mode);
        var run = _cli.Run(["analyze", "--timeout", timeout, "--arg", mode, "--out", outDir, .. extra, AnalysisSample.Path], stdin: null, TimeSpan.FromMinutes(4));
        return (run, outDir);
    }

    private static JsonElement Report(string outDir) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json"))).RootElement;

    private static List<JsonElement> All(JsonElement r, string table) => [.. r.GetProperty(table).EnumerateArray()];

    private static string[] Argv(JsonElement p) => [.. p.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!)];

    [Fact]
    public void A_sample_that_writes_forks_execs_and_connects_is_reported_as_it_behaved()
    {
        var (run, outDir) = Analyze("behave");
        Assert.True(run.ExitCode == 0, run.ToString());
        var r = Report(outDir);
        Assert.Equal(1, r.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("exited", r.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(3, r.GetProperty("run").GetProperty("exitCode").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(AnalysisSample.Path))),
            r.GetProperty("sample").GetProperty("sha256").GetString());
        Assert.Equal("static", r.GetProperty("sample").GetProperty("elf").GetProperty("linking").GetString());

        // Process tree: the sample, and its child that exec'd a shell with the exact argv.
        var procs = All(r, "processes").ToList();
        var root = Assert.Single(procs, p => p.GetProperty("parentPid").ValueKind == JsonValueKind.Null);
        Assert.Equal(["/sample/sample", "behave"], Argv(root));
        Assert.Equal(3, root.GetProperty("exitCode").GetInt32());
        var shell = Assert.Single(procs, p => p.GetProperty("path").GetString() == "/bin/sh");
        Assert.Equal(root.GetProperty("pid").GetInt32(), shell.GetProperty("parentPid").GetInt32());
        Assert.Equal(["sh", "-c", "echo from-shell; exit 0"], Argv(shell));
        Assert.Equal(0, shell.GetProperty("exitCode").GetInt32());

        // Files: created, modified and deleted, with the final content's digest and an inert copy.
        var files = All(r, "files").ToDictionary(f => f.GetProperty("path").GetString()!);
        Assert.Equal("created", files["/tmp/dropped.txt"].GetProperty("change").GetString());
        Assert.Equal("modified", files["/etc/passwd"].GetProperty("change").GetString());
        Assert.Equal("deleted", files["/etc/group"].GetProperty("change").GetString());
        Assert.Equal("created", files["/etc/hostname-new"].GetProperty("change").GetString());
        string sha = files["/tmp/dropped.txt"].GetProperty("sha256").GetString()!;
        string copy = Path.Combine(outDir, "dropped", sha);
        Assert.Equal("dropped by the sample\n", File.ReadAllText(copy));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(copy));
        Assert.EndsWith("evil:x:0:0::/:/bin/sh\n", File.ReadAllText(Path.Combine(outDir, "dropped", files["/etc/passwd"].GetProperty("sha256").GetString()!)), StringComparison.Ordinal);

        // Files opened, with their flags and outcome: a read leaves no change, only this.
        var opens = All(r, "opens").ToList();
        Assert.Contains(opens, o => o.GetProperty("path").GetString() == "/etc/shadow" && o.GetProperty("flags").GetString() == "O_RDONLY"
            && o.GetProperty("pid").GetInt32() == root.GetProperty("pid").GetInt32());
        Assert.Contains(opens, o => o.GetProperty("path").GetString() == "/etc/passwd" && o.GetProperty("flags").GetString() == "O_WRONLY|O_APPEND"
            && o.GetProperty("error").ValueKind == JsonValueKind.Null);
        Assert.Contains(opens, o => o.GetProperty("path").GetString() == "/tmp/dropped.txt" && o.GetProperty("flags").GetString() == "O_WRONLY|O_CREAT|O_TRUNC");
        Assert.DoesNotContain(opens, o => o.GetProperty("path").GetString() == "/bin/sh"); // an exec's own open is the exec's record

        // Network (--network none): every attempt listed with its result, the DNS question decoded.
        var net = All(r, "network").ToList();
        var tcp = Assert.Single(net, n => n.GetProperty("port").ValueKind == JsonValueKind.Number && n.GetProperty("port").GetInt32() == 4444);
        Assert.Equal("connect", tcp.GetProperty("syscall").GetString());
        Assert.Equal("127.0.0.1", tcp.GetProperty("address").GetString());
        Assert.Equal("ECONNREFUSED", tcp.GetProperty("error").GetString());
        Assert.Single(net, n => n.GetProperty("port").ValueKind == JsonValueKind.Number && n.GetProperty("port").GetInt32() == 5555);
        var dns = Assert.Single(net, n => n.GetProperty("dns").ValueKind == JsonValueKind.Object);
        Assert.Equal("sinkhole.test", dns.GetProperty("dns").GetProperty("name").GetString());
        Assert.Equal("A", dns.GetProperty("dns").GetProperty("type").GetString());
        Assert.Equal(0x1234, dns.GetProperty("dns").GetProperty("id").GetInt32());
        var unix = net.Where(n => n.GetProperty("family").GetString() == "unix").ToList();
        Assert.Contains(unix, n => n.GetProperty("address").GetString() == "/run/sandbox-sample.sock" && n.GetProperty("error").GetString() == "ENOENT");
        Assert.Contains(unix, n => n.GetProperty("address").GetString() == "@sandbox-abstract" && n.GetProperty("error").GetString() == "ECONNREFUSED");

        // The syscall seccomp refused, from the guest kernel's log.
        var denial = Assert.Single(All(r.GetProperty("denials"), "syscalls"), d => d.GetProperty("syscall").GetString() == "keyctl");
        Assert.Equal(root.GetProperty("pid").GetInt32(), denial.GetProperty("firstPid").GetInt32());
        Assert.Equal("errno", denial.GetProperty("action").GetString());

        // Output, resources, and the summary line analyze printed.
        Assert.Contains("from-shell", File.ReadAllText(Path.Combine(outDir, "stdout")), StringComparison.Ordinal);
        // The sample wrote nothing to stderr, so its file is empty: the launcher's notices (TCG
        // emulation here) go to the analyst's terminal, never into the sample's output.
        Assert.Equal("", File.ReadAllText(Path.Combine(outDir, "stderr")));
        Assert.Equal(0, r.GetProperty("output").GetProperty("stderr").GetProperty("bytes").GetInt64());
        Assert.True(r.GetProperty("resources").GetProperty("memoryPeakBytes").GetInt64() > 0);
        Assert.Equal(2, r.GetProperty("resources").GetProperty("processes").GetInt32());
        Assert.Equal(0, r.GetProperty("collector").GetProperty("eventsLost").GetInt64());
        Assert.Contains("sample exited 3", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("report.html", run.Stdout, StringComparison.Ordinal);

        // Audited like a run, in the microVM, with the sample read-only and the report's digest.
        string digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(outDir, "report.json"))));
        string id = r.GetProperty("run").GetProperty("sandboxId").GetString()!;
        var ids = _cli.Run("audit", "ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ')[0]);
        var record = ids.Reverse().Take(20).Select(i => JsonDocument.Parse(_cli.Run("audit", "show", i, "--json").Stdout).RootElement)
            .First(x => x.TryGetProperty("sandbox", out var s) && s.GetString() == id && x.GetProperty("outcome").GetString() == "exited");
        Assert.Equal(digest, record.GetProperty("report").GetString());
        Assert.Equal(3, record.GetProperty("exitCode").GetInt32());
        Assert.Equal("microvm", record.GetProperty("applied").GetProperty("backend").GetString());
        Assert.Contains("/sample", record.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sample_still_running_at_the_timeout_is_a_report_not_a_failure()
    {
        var (run, outDir) = Analyze("sleep", "3s");
        Assert.True(run.ExitCode == 0, run.ToString());
        var r = Report(outDir);
        Assert.True(r.GetProperty("run").GetProperty("timedOut").GetBoolean());
        Assert.Equal("timeout", r.GetProperty("run").GetProperty("status").GetString());
        var root = Assert.Single(All(r, "processes"));
        Assert.Equal(9, root.GetProperty("signal").GetInt32()); // killed at the timeout, seen in the trace
        Assert.Contains(All(r, "signals"), s => s.GetProperty("signal").GetInt32() == 9 && s.GetProperty("pid").GetInt32() == root.GetProperty("pid").GetInt32());
    }

    [Fact]
    public void A_shell_script_runs_on_the_built_in_image_whose_sh_is_its_interpreter()
    {
        string script = Path.Combine(_work, "dropper.sh");
        File.WriteAllText(script, "#!/bin/sh\necho payload > /tmp/dropped\nexit 5\n");
        string outDir = Path.Combine(_work, "script");
        var run = _cli.Run(["analyze", "--timeout", "60s", "--out", outDir, script], stdin: null, TimeSpan.FromMinutes(4));
        Assert.True(run.ExitCode == 0, run.ToString());
        var r = Report(outDir);
        Assert.Equal(5, r.GetProperty("run").GetProperty("exitCode").GetInt32());
        Assert.Equal("script", r.GetProperty("sample").GetProperty("kind").GetString());
        var files = All(r, "files").ToDictionary(f => f.GetProperty("path").GetString()!);
        Assert.Equal("created", files["/tmp/dropped"].GetProperty("change").GetString());
        // The trace found the script's exec although the kernel put its interpreter first in argv.
        var root = Assert.Single(All(r, "processes"));
        Assert.Equal("/bin/sh", Argv(root)[0]);
        Assert.EndsWith("/dropper.sh", Argv(root)[1], StringComparison.Ordinal);
        Assert.Equal(5, root.GetProperty("exitCode").GetInt32());
        Assert.Empty(r.GetProperty("collector").GetProperty("missing").EnumerateArray());
        // The kernel log was read and held no refusal: that is "none", not "not collected".
        var denials = r.GetProperty("denials");
        Assert.True(denials.GetProperty("collected").GetBoolean(), denials.ToString());
        Assert.Empty(denials.GetProperty("syscalls").EnumerateArray());
    }

    [Fact]
    public void A_flood_of_opens_fills_only_its_own_buffer_and_hides_nothing_else()
    {
        var (run, outDir) = Analyze("openflood");
        Assert.True(run.ExitCode == 0, run.ToString());
        var r = Report(outDir);
        // The flood was more than the opens buffer holds: the loss is said...
        Assert.True(r.GetProperty("collector").GetProperty("eventsLost").GetInt64() > 0, r.GetProperty("collector").ToString());
        var flood = Assert.Single(All(r, "opens"), o => o.GetProperty("path").GetString() == "/flood/missing");
        Assert.Equal("ENOENT", flood.GetProperty("error").GetString());
        Assert.InRange(flood.GetProperty("count").GetInt32(), 1000, 30000);
        // ...and what the sample did after it is all in the main trace.
        var tcp = Assert.Single(All(r, "network"), n => n.GetProperty("port").ValueKind == JsonValueKind.Number && n.GetProperty("port").GetInt32() == 4445);
        Assert.Equal("ECONNREFUSED", tcp.GetProperty("error").GetString());
        Assert.Equal(4, Assert.Single(All(r, "processes")).GetProperty("exitCode").GetInt32());
        Assert.Equal("exited", r.GetProperty("run").GetProperty("status").GetString());
    }

    [Fact]
    public void A_fork_bomb_is_bounded_and_reported()
    {
        var (run, outDir) = Analyze("forkbomb", "60s");
        Assert.True(run.ExitCode == 0, run.ToString());
        var r = Report(outDir);
        Assert.Equal(4, r.GetProperty("run").GetProperty("exitCode").GetInt32()); // fork failed: the pids limit held
        Assert.Contains("fork failed after", File.ReadAllText(Path.Combine(outDir, "stdout")), StringComparison.Ordinal);
        int processes = r.GetProperty("resources").GetProperty("processes").GetInt32();
        Assert.True(processes > 20, $"only {processes} processes reported");
    }

    [Fact]
    public void A_sample_that_attacks_the_collector_changes_nothing_in_the_report()
    {
        var (run, outDir) = Analyze("tamper");
        Assert.True(run.ExitCode == 0, run.ToString());
        var r = Report(outDir);
        Assert.Equal(9, r.GetProperty("run").GetProperty("exitCode").GetInt32()); // its own status, not the "exit 0" it wrote
        string stdout = File.ReadAllText(Path.Combine(outDir, "stdout"));
        Assert.Contains("killed 0 traced 0", stdout, StringComparison.Ordinal); // init and the collector are out of its reach
        Assert.DoesNotContain("trace_marker: ok", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(": ok", stdout.Replace("killed 0", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The forged trace lines (a file name, its task name, a child's argv) added no process.
        var procs = All(r, "processes").ToList();
        Assert.Equal(3, procs.Count);
        Assert.DoesNotContain(procs, p => p.GetProperty("pid").GetInt32() is 4242 or 4243 or 4244);
        var children = procs.Where(p => p.GetProperty("parentPid").ValueKind == JsonValueKind.Number).ToList();
        Assert.StartsWith("x\n", Argv(children[0])[3], StringComparison.Ordinal); // the forged text is data, in its place
        Assert.Equal(["sh", "-c", "exit 0"], Argv(children[0])[..3]);
        Assert.Equal(0, children[0].GetProperty("exitCode").GetInt32());
        Assert.Equal(["sh", "-c", "exit 0", "linked"], Argv(children[1]));
        // The link's name forged a line among executed file names: names are withheld, never replaced.
        Assert.All(procs.SelectMany(p => p.GetProperty("execs").EnumerateArray()), x => Assert.NotEqual("EVIL", x.GetProperty("path").GetString()));
        Assert.Contains(r.GetProperty("collector").GetProperty("missing").EnumerateArray(), m => m.GetString()!.StartsWith("executed file names", StringComparison.Ordinal));
        Assert.Equal(0, r.GetProperty("collector").GetProperty("unparsedLines").GetInt32());
        Assert.Contains(All(r.GetProperty("denials"), "syscalls"), d => d.GetProperty("syscall").GetString() == "ptrace"); // refused, and seen
        Assert.Contains(All(r, "files"), f => f.GetProperty("path").GetString()!.StartsWith("/tmp/x\n", StringComparison.Ordinal));
    }

    [Fact]
    public void Markup_and_terminal_escapes_from_the_sample_stay_text_in_a_real_browser()
    {
        string chromium = Require.Tool("chromium");
        var (run, outDir) = Analyze("escape");
        Assert.True(run.ExitCode == 0, run.ToString());
        string html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);

        var psi = new System.Diagnostics.ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={Path.Combine(_work, "chromium")}",
            "--dump-dom", "file://" + Path.Combine(outDir, "report.html") })
        {
            psi.ArgumentList.Add(a);
        }

        var chrome = SandboxCli.Wait(System.Diagnostics.Process.Start(psi)!, TimeSpan.FromMinutes(2));
        Assert.True(chrome.ExitCode == 0, chrome.ToString());
        string dom = chrome.Stdout;
        Assert.Contains("id=\"processes\"", dom, StringComparison.Ordinal); // the page rendered
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase); // no element came from the sample
        Assert.Contains("/tmp/&lt;script&gt;alert(1)\\x1b[31mred", dom, StringComparison.Ordinal); // the file name, as text
        Assert.Contains("&lt;script&gt;alert(2)&lt;/script&gt;", dom, StringComparison.Ordinal); // the argv
        Assert.Contains("\\x1b]0;title\\x07", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", dom, StringComparison.Ordinal); // no raw escape reaches the page
    }
}
