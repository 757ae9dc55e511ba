using System.Text;
using System.Text.Json;
using Sandbox.Audit;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// An auditor's questions answered over real runs: which recorded runs a policy change would decide
/// differently (`policy diff --audit`), and whether the log was rewritten (a keyed chain, a
/// remembered head, rotation, export). Trusted containers: fast, and they need root and runc.
/// </summary>
public sealed class PolicyAuditRunsTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-policy-audit-").FullName;

    private static readonly string Builtin = File.ReadAllText(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml"));

    // Trusted containers get at most 256M instead of 512M, and commands mentioning "forbidden" are denied.
    private static string Modified() => Builtin
        .Replace("limits: {memory: 512M,", "limits: {memory: 256M,", StringComparison.Ordinal)
        .Replace("rules:\n", "rules:\n  - name: no-forbidden-commands\n    effect: deny\n    why: the forbidden tool is retired\n    match: {command: '*forbidden*'}\n\n", StringComparison.Ordinal);

    [Fact]
    public void Policy_diff_audit_lists_exactly_the_recorded_runs_a_modified_policy_decides_differently()
    {
        long next = 1; // the first record of the next run: a run that starts writes started + exited, a refusal one record
        var expected = new List<long>();
        void Run(bool differs, int exit, params string[] args)
        {
            var run = _cli.Run(["run", "--trust", "trusted", .. args]);
            Assert.True(run.ExitCode == exit, run.ToString());
            if (differs)
            {
                expected.Add(next);
            }

            next += exit == 125 ? 1 : 2;
        }

        for (int i = 0; i < 5; i++)
        {
            Run(differs: false, 0, "--memory", "128M", "busybox", "true");               // below both ceilings
            Run(differs: true, 0, "busybox", "true");                                     // 512M -> 256M
            Run(differs: true, 0, "--memory", "64M", "busybox", "sh", "-c", "echo forbidden"); // allowed -> denied
            Run(differs: false, 125, "--memory", "4G", "busybox", "true");                // refused before and after
        }

        string modified = Path.Combine(_dir, "modified.yaml");
        File.WriteAllText(modified, Modified());
        var diff = _cli.Run("policy", "diff", "--audit", "--json", "builtin", modified);
        Assert.True(diff.ExitCode == 0, diff.ToString());
        using var doc = JsonDocument.Parse(diff.Stdout);
        JsonElement audit = doc.RootElement.GetProperty("audit");
        Assert.Equal(20, audit.GetProperty("runs").GetInt32());
        Assert.Equal(20, audit.GetProperty("replayed").GetInt32());
        var differences = audit.GetProperty("differences").EnumerateArray().ToList();
        Assert.Equal(expected, differences.Select(d => d.GetProperty("seq").GetInt64()));
        foreach (JsonElement d in differences)
        {
            string changes = string.Join("; ", d.GetProperty("changes").EnumerateArray().Select(c => c.GetString()));
            Assert.True(changes == "memory: 512M -> 256M" || changes.StartsWith("verdict: allowed -> refused (refused by rule 'no-forbidden-commands'", StringComparison.Ordinal), changes);
        }

        var text = _cli.Run("policy", "diff", "--audit", "builtin", modified);
        Assert.Contains("audit: 20 recorded run(s), 20 replayed", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("10 would be decided differently", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("+ added deny rule 'no-forbidden-commands'", text.Stdout, StringComparison.Ordinal);

        // The built-in policy against itself decides every recorded run as it was decided.
        var same = _cli.Run("policy", "diff", "--audit", "--json", "builtin", "builtin");
        using var sameDoc = JsonDocument.Parse(same.Stdout);
        Assert.Equal(0, sameDoc.RootElement.GetProperty("audit").GetProperty("differences").GetArrayLength());
    }

    private CliRun Keyed(string key, params string[] args) =>
        SandboxCli.Wait(_cli.Start(args, env: new Dictionary<string, string> { [AuditKey.EnvironmentVariable] = key }), TimeSpan.FromMinutes(2));

    [Fact]
    public void A_keyed_log_of_real_runs_detects_a_rebuilt_chain_and_rotation_keeps_one_chain()
    {
        string key = Path.Combine(_dir, "audit.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(key, UnixFileMode.UserRead);
        for (int i = 0; i < 2; i++)
        {
            var run = Keyed(key, "run", "--trust", "trusted", "busybox", "true");
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        var ok = _cli.Run("audit", "verify", "--key", key);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("intact, 4 record(s); every MAC checked with", ok.Stdout, StringComparison.Ordinal);
        using var verified = JsonDocument.Parse(_cli.Run("audit", "verify", "--json").Stdout);
        string head = verified.RootElement.GetProperty("head").GetString()!;

        // Rotate, run once more: the chain spans both segments, and the live segment verifies from the head.
        var rotate = _cli.Run("audit", "rotate");
        Assert.True(rotate.ExitCode == 0, rotate.ToString());
        Assert.Contains($"head sha256 {head}", rotate.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Keyed(key, "run", "--trust", "trusted", "busybox", "true").ExitCode);
        Assert.Equal(0, _cli.Run("audit", "verify", "--key", key, "--head", head).ExitCode);
        var since = _cli.Run("audit", "verify", "--key", key, "--since-head", head);
        Assert.True(since.ExitCode == 0, since.ToString());
        Assert.Contains("intact, 2 record(s) after record 4", since.Stdout, StringComparison.Ordinal);

        // Export parses: JSON lines that are the stored records, and an OTLP/JSON logs request.
        var jsonl = _cli.Run("audit", "export");
        Assert.Equal(6, jsonl.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()).Distinct().Count());
        using var otlp = JsonDocument.Parse(_cli.Run("audit", "export", "--format", "otlp", "--since", "2000-01-01").Stdout);
        Assert.Equal(6, otlp.RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0].GetProperty("logRecords").GetArrayLength());
        Assert.Equal(3, JsonDocument.Parse(_cli.Run("audit", "ls", "--json", "--outcome", "exited", "--image", "busy*").Stdout).RootElement.GetArrayLength());

        // An attacker who can write the state root but not read the key rebuilds the whole chain.
        string segment = Path.Combine(_cli.StateRoot, "audit", "audit.000001.log");
        RebuildWithoutKey(segment, Path.Combine(_cli.StateRoot, "audit", "audit.log"));
        Assert.Equal(0, _cli.Run("audit", "verify").ExitCode); // unkeyed and without a head, a rebuilt chain looks intact
        var withKey = _cli.Run("audit", "verify", "--key", key);
        Assert.Equal(1, withKey.ExitCode);
        Assert.Contains("record 1 has no MAC", withKey.Stderr, StringComparison.Ordinal);
        var withHead = _cli.Run("audit", "verify", "--head", head);
        Assert.Equal(1, withHead.ExitCode);
        Assert.Contains($"the remembered head sha256 {head} is not in the log", withHead.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_whose_audit_key_is_unusable_fails_closed_before_the_workload_runs()
    {
        string key = Path.Combine(_dir, "loose.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var run = Keyed(key, "run", "--trust", "trusted", "busybox", "sh", "-c", "echo RAN");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains($"audit key {key} is readable or writable by others", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("RAN", run.Stdout, StringComparison.Ordinal); // no unaudited workload
        Assert.Empty(_cli.Run("audit", "ls", "--json").Stdout.Trim().Trim('[', ']').Trim()); // and nothing unkeyed was written
    }

    // Rewrites every record of both files (exit codes changed to 0, MACs dropped) and rechains them from the genesis.
    private static void RebuildWithoutKey(params string[] files)
    {
        string prev = AuditChain.Genesis;
        foreach (string file in files)
        {
            var output = new StringBuilder();
            foreach (string line in File.ReadAllLines(file))
            {
                AuditRecord r = AuditChain.TryParse(Encoding.UTF8.GetBytes(line), out _)! with { Prev = prev, Hash = null, Mac = null };
                r = r with { ExitCode = r.ExitCode is null ? null : 0 };
                byte[] sealedLine = AuditChain.Seal(r);
                output.Append(Encoding.UTF8.GetString(sealedLine)).Append('\n');
                prev = AuditChain.LineHash(sealedLine);
            }

            File.WriteAllText(file + ".forged", output.ToString());
            File.Move(file + ".forged", file, overwrite: true);
        }
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
