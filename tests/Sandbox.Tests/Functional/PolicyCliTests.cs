using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>`sandbox policy explain` and `policy validate` as a user sees them: streams and exit codes. No root needed.</summary>
public sealed class PolicyCliTests : IDisposable
{
    private readonly SandboxCli _cli = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-policy-cli-").FullName;

    [Fact]
    public void Explain_shows_the_decision_the_rule_and_why()
    {
        var run = _cli.Run("policy", "explain", "--trust", "untrusted", "busybox", "--", "./sample");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("backend: microvm (rule \"untrusted-to-vm\", builtin:profiles/policy.yaml:32)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict: refused", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("is not fetched yet", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("trust=untrusted is in [untrusted]", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_json_has_the_stable_schema_and_takes_run_arguments_unchanged()
    {
        var run = _cli.Run("policy", "explain", "--json", "--trust", "trusted", "--memory", "64M", "busybox", "sh", "-c", "echo hi");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.Equal("sandbox.policy.explain/v1", root.GetProperty("schema").GetString());
        Assert.Equal("allowed", root.GetProperty("verdict").GetString());
        Assert.Equal("container", root.GetProperty("decision").GetProperty("grants").GetProperty("backend").GetString());
        Assert.Equal(64L << 20, root.GetProperty("decision").GetProperty("grants").GetProperty("limits").GetProperty("memoryBytes").GetInt64());
        Assert.Equal(["sh", "-c", "echo hi"], root.GetProperty("workload").GetProperty("command").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Explain_uses_the_policy_given()
    {
        string policy = Write("p.yaml", "version: 1\nrules:\n  - name: everything-contained\n    effect: allow\n    why: lab host\n    decide: {backend: container, limits: {memory: 128M}}\n");
        var run = _cli.Run("policy", "explain", "--policy", policy, "busybox", "true");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"backend: container (rule \"everything-contained\", {policy}:3)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("memory 128M", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_accepts_the_shipped_policy_and_the_examples()
    {
        foreach (string file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "docs", "policy-examples"), "*.yaml")
            .Where(f => !f.EndsWith(".tests.yaml", StringComparison.Ordinal)).Append(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml")))
        {
            var run = _cli.Run("policy", "validate", file);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains(": valid (", run.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_reports_file_line_column_what_was_expected_and_a_hint()
    {
        string policy = Write("bad.yaml", "version: 1\nrules:\n  - name: r\n    effect: allow\n    why: w\n    decide: {backend: container}\n    match: {trust: trusted, imagee: busybox}\n");
        var run = _cli.Run("policy", "validate", policy);
        Assert.Equal(125, run.ExitCode);
        Assert.StartsWith($"sandbox: {policy}:7:29: unknown key 'imagee' in match of rule 'r' (did you mean 'image'?)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("  hint: match of rule 'r' accepts: trust, backend, image", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_loads_a_seccomp_profile_a_rule_names_by_path_as_a_run_would()
    {
        string profile = Write("not-a-profile.yaml", string.Concat(Enumerable.Range(0, 50).Select(i => $"user{i}:x:{i}:{i}::/home/user{i}:/bin/sh\n")));
        string policy = Write("p.yaml", $"version: 1\nrules:\n  - name: r\n    effect: allow\n    why: w\n    decide: {{backend: container, seccompProfile: {profile}}}\n");
        var run = _cli.Run("policy", "validate", policy);
        Assert.Equal(125, run.ExitCode);
        Assert.StartsWith($"sandbox: {profile}:1:1: the profile must be a mapping, found 'user0:x:0:0::/home/user0:/bin/sh", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("user49", run.Stderr, StringComparison.Ordinal); // a file that is not YAML is not printed back whole

        File.Copy(Path.Combine(RepoPaths.Root, "profiles", "seccomp", "default.yaml"), profile, overwrite: true);
        Assert.Equal(0, _cli.Run("policy", "validate", policy).ExitCode);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
