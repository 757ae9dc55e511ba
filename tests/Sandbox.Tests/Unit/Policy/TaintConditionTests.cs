using Sandbox.Policy;
using static Sandbox.Tests.Unit.Policy.PolicyFixtures;

namespace Sandbox.Tests.Unit.Policy;

/// <summary><c>taintedVolumes:</c> against every combination of taint and mode, and the built-in rule built on it.</summary>
public sealed class TaintConditionTests
{
    private static WorkloadFacts With(params VolumeRequest[] volumes) =>
        Facts(TrustLevel.Trusted) with { Volumes = [.. volumes.Select(v => v.Name)], VolumeRequests = [.. volumes] };

    private static readonly VolumeRequest CleanRw = new("clean", "/clean", ReadOnly: false, WrittenByUntrusted: false);
    private static readonly VolumeRequest TaintedRw = new("samples", "/data", ReadOnly: false, WrittenByUntrusted: true);
    private static readonly VolumeRequest TaintedRo = new("samples", "/data", ReadOnly: true, WrittenByUntrusted: true);

    public static TheoryData<string, VolumeRequest[], bool, bool, bool, bool> Cases => new()
    {
        // name, requests, expected for none, any, rw, ro
        { "no volumes", [], true, false, false, false },
        { "a clean volume read-write", [CleanRw], true, false, false, false },
        { "a tainted volume read-write", [TaintedRw], false, true, true, false },
        { "a tainted volume read-only", [TaintedRo], false, true, false, true },
        { "clean rw beside tainted ro", [CleanRw, TaintedRo], false, true, false, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_test_holds_as_documented(string name, VolumeRequest[] requests, bool none, bool any, bool rw, bool ro)
    {
        foreach ((string test, bool expected) in new[] { ("none", none), ("any", any), ("rw", rw), ("ro", ro) })
        {
            var e = Engine().Evaluate(Matching($"{{taintedVolumes: {test}}}"), With(requests));
            Assert.True(expected == e.Trace[0].Matched, $"{name}, {test}: expected {expected}; {string.Join("; ", e.Trace[0].Reasons)}");
        }
    }

    [Fact]
    public void The_reason_names_the_tainted_volume_and_its_mode()
    {
        var e = Engine().Evaluate(Matching("{taintedVolumes: rw}"), With(CleanRw, TaintedRw));
        Assert.Equal("volumes written by an untrusted sandbox requested [samples:/data (rw)] satisfies rw", e.Trace[0].Reasons[0]);
    }

    [Fact]
    public void The_builtin_policy_refuses_a_trusted_read_write_mount_of_a_tainted_volume()
    {
        var e = Builtin(With(TaintedRw));
        Assert.Equal(RefusalKind.Denied, e.Refusal!.Kind);
        Assert.Equal("trusted-must-not-write-tainted-volumes", e.Refusal.Rule!.Name);
        Assert.Contains("-v NAME:/path:ro", e.Refusal.Message, StringComparison.Ordinal);
        Assert.Contains("samples:/data (rw)", e.Refusal.Hint, StringComparison.Ordinal); // names the volume
        Assert.Equal(125, e.Refusal.ToException().ExitCode);
    }

    [Fact]
    public void The_builtin_policy_lets_trusted_code_read_a_tainted_volume_and_write_a_clean_one()
    {
        var e = Builtin(With(TaintedRo, CleanRw with { Target = "/out" }));
        Assert.True(e.Allowed, e.Refusal?.Message);
        Assert.Equal("trusted-to-container", e.Decision!.Rule!.Name);
    }

    [Fact]
    public void Untrusted_code_may_keep_writing_a_tainted_volume()
    {
        var e = Builtin(With(TaintedRw) with { Trust = TrustLevel.Untrusted });
        Assert.Equal("untrusted-to-vm", e.Decision!.Rule!.Name);
        Assert.NotEqual(RefusalKind.Denied, e.Refusal?.Kind);
    }

    [Fact]
    public void The_condition_parses_in_a_deny_rule_and_is_listed_among_match_keys()
    {
        var policy = PolicyLoader.Parse("""
            version: 1
            rules:
              - name: all
                effect: allow
                why: a
                decide: {backend: container, volumes: ['*']}
              - name: no-taint-at-all
                effect: deny
                why: nothing an untrusted sandbox wrote, in any mode
                match: {taintedVolumes: any}
            """, "t.yaml");
        var e = Engine().Evaluate(policy, With(TaintedRo));
        Assert.Equal("refused by rule 'no-taint-at-all' (t.yaml:7): nothing an untrusted sandbox wrote, in any mode", e.Refusal!.Message);
    }
}
