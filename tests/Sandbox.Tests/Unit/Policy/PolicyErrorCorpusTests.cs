using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>Every malformed policy is refused with file:line:column, what was expected, and a hint.</summary>
public sealed class PolicyErrorCorpusTests
{
    // Lines 1-2, then a rule at line 3 whose keys are on lines 3-6 and extra lines from 7.
    private const string Head = "version: 1\nrules:\n";

    private static string Rule(string name = "r", string effect = "allow", string why = "w", string decide = "{backend: container}", params string[] extra) =>
        $"  - name: {name}\n    effect: {effect}\n    why: {why}\n" + (decide.Length > 0 ? $"    decide: {decide}\n" : "") +
        string.Concat(extra.Select(l => $"    {l}\n"));

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // case, yaml, expected "file:line:column", expected fragment
        { "tab", Head + Rule(why: "\tw"), "p.yaml:5:10", "tab character" },
        { "duplicate key", Head + Rule(extra: "why: again"), "p.yaml:7:5", "duplicate key 'why' (first at line 5, column 5)" },
        { "unknown top-level key", "verison: 1\nrules:\n" + Rule(), "p.yaml:1:1", "unknown key 'verison' in the policy (did you mean 'version'?)" },
        { "unknown rule key", Head + Rule(extra: "matches: {}"), "p.yaml:7:5", "unknown key 'matches' in a rule (did you mean 'match'?)" },
        { "unknown match key", Head + Rule(extra: "match: {trusted: yes}"), "p.yaml:7:13", "unknown key 'trusted' in match of rule 'r' (did you mean 'trust'?)" },
        { "unknown decide key", Head + Rule(decide: "{backend: container, memory: 1G}"), "p.yaml:6:34", "unknown key 'memory' in decide of rule 'r'" },
        { "unknown limits key", Head + Rule(decide: "{backend: container, limits: {mem: 1G}}"), "p.yaml:6:43", "unknown key 'mem' in decide.limits of rule 'r'" },
        { "wrong type: list for why", Head + Rule(why: "[a, b]"), "p.yaml:5:10", "why of rule 'r' must be a single value, found a list" },
        { "wrong type: text for rules", "version: 1\nrules: all\n", "p.yaml:2:8", "rules must be a list, found 'all'" },
        { "wrong type: text for labels", Head + Rule(extra: "match: {labels: web}"), "p.yaml:7:21", "match.labels of rule 'r' must be a mapping" },
        { "bad size", Head + Rule(decide: "{backend: container, limits: {memory: lots}}"), "p.yaml:6:51", "memory in decide.limits of rule 'r' 'lots' is not a size" },
        { "bad bool", Head + Rule(decide: "{backend: microvm, allowEmulation: maybe}"), "p.yaml:6:48", "must be true or false, found 'maybe'" },
        { "templates for a container", Head + Rule(decide: "{backend: container, templates: true}"), "p.yaml:6:45", "decide.templates of rule 'r' only applies to the microvm backend" },
        { "unknown trust", Head + Rule(extra: "match: {trust: truster}"), "p.yaml:7:20", "unknown value 'truster' in match.trust of rule 'r' (did you mean 'trusted'?)" },
        { "unknown backend", Head + Rule(decide: "{backend: vm}"), "p.yaml:6:23", "unknown value 'vm' in decide.backend" },
        { "auto is not a decision", Head + Rule(decide: "{backend: auto}"), "p.yaml:6:23", "unknown value 'auto' in decide.backend" },
        { "unknown effect", Head + Rule(effect: "permit"), "p.yaml:4:13", "unknown effect 'permit' in rule 'r'" },
        { "allow without decide", Head + Rule(decide: ""), "p.yaml:3:5", "rule 'r' allows but has no decide: block" },
        { "deny with decide", Head + Rule(effect: "deny"), "p.yaml:6:13", "rule 'r' is a deny rule, which decides nothing" },
        { "only deny rules", Head + Rule(effect: "deny", decide: ""), "p.yaml:3:3", "no allow rule" },
        { "duplicate rule name", Head + Rule() + Rule(), "p.yaml:7:5", "rule name 'r' is used twice (first at line 3)" },
        { "bad rule name", Head + Rule(name: "Big Rule"), "p.yaml:3:11", "rule name 'Big Rule' is not a valid identifier" },
        { "unknown seccomp profile", Head + Rule(decide: "{backend: container, seccompProfile: defualt}"), "p.yaml:6:50", "unknown seccomp profile 'defualt' in rule 'r' (did you mean 'default'?)" },
        { "kernel on a container rule", Head + Rule(decide: "{backend: container, kernel: debian-5.10}"), "p.yaml:6:42", "decide.kernel of rule 'r' only applies to the microvm backend" },
        { "bad capability", Head + Rule(decide: "{backend: container, capabilities: [sys_admin]}"), "p.yaml:6:49", "'sys_admin' is not a capability name" },
        { "set test neither", Head + Rule(extra: "match: {binds: some}"), "p.yaml:7:20", "match.binds of rule 'r' 'some' is not none or any" },
        { "set test both", Head + Rule(extra: "match: {binds: {anyOf: [a], within: [b]}}"), "p.yaml:7:20", "needs exactly one of 'anyOf' or 'within'" },
        { "unknown kernel test", Head + Rule(extra: "match: {kernel: host-provide}"), "p.yaml:7:21", "is not a kernel test (did you mean 'host-provides'?)" },
        { "unknown taint test", Head + Rule(extra: "match: {taintedVolumes: rwx}"), "p.yaml:7:29", "match.taintedVolumes of rule 'r' 'rwx' is not a taint test (did you mean 'rw'?)" },
        { "taint test as a list", Head + Rule(extra: "match: {taintedVolumes: [rw]}"), "p.yaml:7:29", "match.taintedVolumes of rule 'r' must be a single value, found a list" },
        { "unsupported version", "version: 2\nrules:\n" + Rule(), "p.yaml:1:10", "policy version '2' is not supported" },
        { "empty rules", "version: 1\nrules: []\n", "p.yaml:2:8", "rules is empty" },
        { "anchor", Head + Rule(decide: "&d {backend: container}"), "p.yaml:6:13", "anchor '&d' is not supported" },
        { "syntax error", Head + Rule(decide: "{backend: container"), "p.yaml:7:1", "invalid YAML" },
        { "empty file", "", "p.yaml:1:1", "the policy is empty" },
        { "two documents", Head + Rule() + "---\nversion: 1\n", "p.yaml:8:1", "more than one YAML document" },
        { "root is a list", "- version: 1\n", "p.yaml:1:1", "the policy must be a mapping, found a list" },
        { "deep nesting", Head + Rule(why: new string('[', 20) + new string(']', 20)), "p.yaml:5:", "nesting deeper than 16 levels" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_policies_are_refused_with_position_and_hint(string name, string yaml, string at, string fragment)
    {
        var e = Assert.Throws<SandboxException>(() => PolicyLoader.Parse(yaml, "p.yaml"));
        Assert.True(e.Message.StartsWith(at, StringComparison.Ordinal), $"{name}: expected the error at {at}, got: {e.Message}");
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(e.Hint), $"{name}: no hint");
    }

    [Fact]
    public void A_huge_file_is_refused_before_parsing()
    {
        string path = Path.Combine(TestTemp.Directory("sandbox-policy-"), "huge.yaml");
        File.WriteAllText(path, "version: 1\n# " + new string('x', PolicyLoader.MaxBytes) + "\n");
        var e = Assert.Throws<SandboxException>(() => PolicyLoader.Load(path));
        Assert.Equal($"{path}: the policy is larger than 1 MiB", e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<SandboxException>(() => PolicyLoader.Load("/no/such/policy.yaml"));
        Assert.StartsWith("/no/such/policy.yaml: policy file does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_policy_and_the_documented_examples_are_valid()
    {
        PolicyLoader.Load(Path.Combine(Support.RepoPaths.Root, "profiles", "policy.yaml"));
        foreach (string example in Directory.EnumerateFiles(Path.Combine(Support.RepoPaths.Root, "docs", "policy-examples"), "*.yaml")
            .Where(f => !f.EndsWith(".tests.yaml", StringComparison.Ordinal))) // policy test cases, not policies
        {
            PolicyLoader.Load(example);
        }
    }
}
