using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>`policy test`, `policy diff` and `profile import/diff/show/ls` as a user sees them: streams and exit codes. No root needed.</summary>
public sealed class PolicyAuditCliTests : IDisposable
{
    private readonly SandboxCli _cli = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-policy-audit-cli-").FullName;

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Policy_test_passes_the_shipped_cases_and_defaults_to_the_sibling_cases_file()
    {
        var run = _cli.Run("policy", "test", Path.Combine(RepoPaths.Root, "profiles", "policy.yaml"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("passed, 0 failed", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_test_exits_1_with_a_diff_naming_the_rule_that_matched_instead()
    {
        string cases = Write("wrong.yaml", """
            cases:
              - name: trusted code with a tainted volume read-write
                workload: {trust: trusted, image: busybox, volumes: ['scratch:/work'], tainted: [scratch]}
                expect: {verdict: allowed, rule: trusted-to-container}
            """);
        var run = _cli.Run("policy", "test", "builtin", cases);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"FAIL {cases}:2: trusted code with a tainted volume read-write", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("- expected trusted-to-container\n    + actual   trusted-must-not-write-tainted-volumes", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("instead: denied: refused by rule 'trusted-must-not-write-tainted-volumes' (builtin:profiles/policy.yaml:", run.Stdout, StringComparison.Ordinal);

        var json = _cli.Run("policy", "test", "--json", "builtin", cases);
        Assert.Equal(1, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal("verdict", doc.RootElement.GetProperty("results")[0].GetProperty("mismatches")[0].GetProperty("field").GetString());
    }

    [Fact]
    public void Policy_test_refuses_a_malformed_cases_file_with_125()
    {
        string cases = Write("bad.yaml", "cases:\n  - name: a\n    workload: {image: busybox}\n    expect: {rul: x}\n");
        var run = _cli.Run("policy", "test", "builtin", cases);
        Assert.Equal(125, run.ExitCode);
        Assert.Contains($"{cases}:4:14: unknown key 'rul'", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(125, _cli.Run("policy", "test", "builtin").ExitCode); // no cases file to default to
    }

    [Fact]
    public void Policy_diff_names_added_and_changed_rules()
    {
        string builtin = File.ReadAllText(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml"));
        string modified = Write("new.yaml", builtin.Replace("pids: 256", "pids: 64", StringComparison.Ordinal));
        var run = _cli.Run("policy", "diff", "builtin", modified);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("~ changed allow rule 'trusted-to-container'", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("decide.limits: {memory: 512M, cpus: 1, pids: 256, tmpfs: 64M, openFiles: 1024} -> {memory: 512M, cpus: 1, pids: 64, tmpfs: 64M, openFiles: 1024}", run.Stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(_cli.Run("policy", "diff", "--json", "builtin", modified).Stdout);
        Assert.Equal("sandbox.policy.diff/v1", doc.RootElement.GetProperty("schema").GetString());
        Assert.Equal("changed", doc.RootElement.GetProperty("rules").GetProperty("rules")[0].GetProperty("kind").GetString());
    }

    [Fact]
    public void Profile_import_writes_a_new_file_whole_and_never_overwrites()
    {
        Require.That(File.Exists("/usr/share/containers/seccomp.json"), "/usr/share/containers/seccomp.json is missing (podman)");
        string target = Path.Combine(_dir, "podman.yaml");
        var run = _cli.Run("profile", "import", "/usr/share/containers/seccomp.json", "--name", "podman", "-o", target);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("review every group's why before use", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("setns: the source both lets it run and refuses it", run.Stderr, StringComparison.Ordinal);
        string written = File.ReadAllText(target);

        var again = _cli.Run("profile", "import", "/usr/share/containers/seccomp.json", "-o", target);
        Assert.Equal(125, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(written, File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(_dir)); // no temporary file left behind

        var show = _cli.Run("profile", "show", target);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("socket-errno-einval: errno EINVAL when arg0 in [16] and arg2 in [9] (1 syscall(s))", show.Stdout, StringComparison.Ordinal);
        var diff = _cli.Run("profile", "diff", "--json", "default", target);
        using var doc = JsonDocument.Parse(diff.Stdout);
        Assert.Contains(doc.RootElement.GetProperty("onlyB").EnumerateArray(), e => e.GetProperty("syscall").GetString() == "ptrace");
    }

    [Fact]
    public void Profile_import_refuses_what_is_not_a_profile()
    {
        string bad = Write("bad.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}");
        var run = _cli.Run("profile", "import", bad);
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("is not a seccomp profile", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(125, _cli.Run("profile", "import", Path.Combine(_dir, "missing.json")).ExitCode);
        var badName = _cli.Run("profile", "import", "/usr/share/containers/seccomp.json", "--name", "Bad Name");
        Assert.Equal(125, badName.ExitCode);
        Assert.Contains("--name 'Bad Name' is not a valid profile name", badName.Stderr, StringComparison.Ordinal);
        // Read to a bound: /dev/zero never ends (read whole, it ran the launcher out of memory).
        var zero = _cli.Run("profile", "import", "/dev/zero");
        Assert.Equal(125, zero.ExitCode);
        Assert.Contains("/dev/zero: the seccomp profile is larger than 4 MiB", zero.Stderr, StringComparison.Ordinal);
        var directory = _cli.Run("profile", "import", _dir); // was "no such file"
        Assert.Equal(125, directory.ExitCode);
        Assert.Contains($"{_dir}: is a directory, not a profile", directory.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Profile_ls_lists_the_built_in_profiles()
    {
        using var doc = JsonDocument.Parse(_cli.Run("profile", "ls", "--json").Stdout);
        Assert.Equal(["default", "vmm"], doc.RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.All(doc.RootElement.EnumerateArray(), p => Assert.Matches("^[0-9a-f]{64}$", p.GetProperty("sha256").GetString()));
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
