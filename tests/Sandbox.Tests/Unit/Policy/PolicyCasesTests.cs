using System.Text.Json;
using Sandbox.Policy;
using Sandbox.Policy.Testing;
using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>
/// Policy tests as data: the cases shipped for the built-in policy pass through the same engine
/// `sandbox run` uses, and a wrong expectation fails with a diff naming the rule that decided instead.
/// </summary>
public sealed class PolicyCasesTests
{
    private static string PolicyFile => Path.Combine(RepoPaths.Root, "profiles", "policy.yaml");

    private static string CasesFile => Path.Combine(RepoPaths.Root, "profiles", "policy.tests.yaml");

    private static PolicyTestReport Run(string cases) =>
        PolicyTestRunner.Run(PolicyLoader.Builtin(), PolicyCaseParser.Parse(cases, "cases.yaml"), ProfileCatalog.Resolve);

    [Fact]
    public void The_shipped_cases_for_the_built_in_policy_pass()
    {
        Assert.Equal(PolicyLoader.BuiltinText(), File.ReadAllText(PolicyFile)); // the cases test what is embedded
        var report = PolicyTestRunner.Run(PolicyLoader.Builtin(), PolicyCaseParser.Load(CasesFile), ProfileCatalog.Resolve);
        Assert.True(report.Failed == 0, PolicyTestText.Human(report));
        Assert.True(report.Results.Count >= 15);
        // Every rule of the built-in policy is exercised by at least one case.
        Assert.Empty(PolicyLoader.Builtin().Rules.Select(r => r.Ref.Name).Except(report.Results.Select(r => r.Rule!)));
    }

    [Theory]
    [InlineData("ci-runners")]
    [InlineData("legacy-apps")]
    public void The_example_policies_pass_their_cases(string name)
    {
        string dir = Path.Combine(RepoPaths.Root, "docs", "policy-examples");
        var report = PolicyTestRunner.Run(PolicyLoader.Load(Path.Combine(dir, name + ".yaml")), PolicyCaseParser.Load(Path.Combine(dir, name + ".tests.yaml")), ProfileCatalog.Resolve);
        Assert.True(report.Failed == 0, PolicyTestText.Human(report));
    }

    [Fact]
    public void A_cases_path_that_is_a_directory_is_named_as_one()
    {
        // It was "cases file does not exist".
        string dir = Directory.CreateTempSubdirectory("cases-dir-").FullName;
        try
        {
            var e = Assert.Throws<SandboxException>(() => PolicyCaseParser.Load(dir));
            Assert.Contains($"{dir}: is a directory, not a cases file", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    private const string WrongExpectation = """
        cases:
          - name: untrusted code in a container
            workload: {trust: untrusted, image: busybox}
            expect: {verdict: allowed, rule: trusted-to-container, backend: container}
        """;

    [Fact]
    public void A_wrong_expectation_fails_naming_the_rule_that_matched_instead()
    {
        var report = Run(WrongExpectation);
        CaseResult r = Assert.Single(report.Results);
        Assert.False(r.Passed);
        Assert.Equal(1, report.Failed);
        Assert.Equal(
            [new CaseMismatch("rule", "trusted-to-container", "untrusted-to-vm"), new CaseMismatch("backend", "container", "microvm")],
            r.Mismatches);
        Assert.Contains("decided by rule 'untrusted-to-vm' (builtin:profiles/policy.yaml:", r.Explanation, StringComparison.Ordinal);
        Assert.Contains("trust=untrusted is in [untrusted]", r.Explanation, StringComparison.Ordinal);
        Snapshot.Match("policy-test-failure.txt", PolicyTestText.Human(report));
    }

    [Fact]
    public void The_json_report_names_each_mismatch()
    {
        string json = JsonSerializer.Serialize(Run(WrongExpectation), PolicyAuditJsonContext.Default.PolicyTestReport);
        using var doc = JsonDocument.Parse(json);
        JsonElement result = doc.RootElement.GetProperty("results")[0];
        Assert.False(result.GetProperty("passed").GetBoolean());
        Assert.Equal("untrusted-to-vm", result.GetProperty("rule").GetString());
        Assert.Equal("rule", result.GetProperty("mismatches")[0].GetProperty("field").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("failed").GetInt32());
    }

    [Fact]
    public void The_declared_host_decides_availability()
    {
        var report = Run("""
            host: {backends: [container], accelerator: emulation}
            cases:
              - name: no microVM backend on this host
                workload: {image: busybox}
                expect: {verdict: refused, rule: untrusted-to-vm, refusal: unavailable}
            """);
        Assert.True(report.Failed == 0, PolicyTestText.Human(report));
    }

    [Theory]
    [InlineData("cases: []", "cases is empty")]
    [InlineData("cases:\n  - name: a\n    workload: {image: busybox, trsut: trusted}\n    expect: {verdict: allowed}", "unknown key 'trsut'")]
    [InlineData("cases:\n  - name: a\n    workload: {image: busybox}\n    expect: {verdcit: allowed}", "unknown key 'verdcit'")]
    [InlineData("cases:\n  - name: a\n    workload: {image: busybox}\n    expect: {}", "checks nothing")]
    [InlineData("cases:\n  - name: a\n    workload: {image: busybox}\n    expect: {verdict: maybe}", "unknown value 'maybe'")]
    [InlineData("cases:\n  - name: a\n    workload: {image: busybox, volumes: ['data:relative']}\n    expect: {verdict: allowed}", "not a valid vol")]
    public void A_malformed_cases_file_is_refused_at_its_line(string yaml, string expected)
    {
        var e = Assert.Throws<SandboxException>(() => PolicyCaseParser.Parse(yaml, "cases.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("cases.yaml:", e.Message, StringComparison.Ordinal);
    }
}
