using System.Collections.Immutable;
using Sandbox.Policy;
using static Sandbox.Tests.Unit.Policy.PolicyFixtures;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>Each condition of match:, as a table: (match block, facts) -> matched or not.</summary>
public sealed class RuleMatchingTests
{
    private static readonly WorkloadFacts Base = new()
    {
        ImageReference = "registry.example/team/app:1.2",
        ImageDigest = "sha256:abc",
        Command = ["/usr/bin/python3", "app.py"],
        Labels = ImmutableSortedDictionary<string, string>.Empty.Add("tier", "web").Add("owner", "ops"),
        Capabilities = ["CAP_NET_BIND_SERVICE"],
        Volumes = ["data", "samples"],
        VolumeRequests = [new("data", "/data", ReadOnly: false, WrittenByUntrusted: false), new("samples", "/in", ReadOnly: true, WrittenByUntrusted: true)],
        MemoryBytes = 1L << 30,
        Cpus = 2,
    };

    public static TheoryData<string, string, bool> Cases => new()
    {
        // name, match (flow mapping), expected
        { "empty match holds", "{}", true },
        { "trust", "{trust: untrusted}", true },
        { "trust list", "{trust: [trusted]}", false },
        { "requested backend", "{backend: auto}", true },
        { "requested backend other", "{backend: [container, microvm]}", false },
        { "image glob", "{image: 'registry.example/*'}", true },
        { "image glob miss", "{image: [busybox, 'docker.io/*']}", false },
        { "digest", "{digest: 'sha256:abc'}", true },
        { "command glob", "{command: '*python3*'}", true },
        { "command miss", "{command: [sh]}", false },
        { "network", "{network: none}", true },
        { "labels all match", "{labels: {tier: web, owner: 'o*'}}", true },
        { "label value differs", "{labels: {tier: db}}", false },
        { "label absent", "{labels: {zone: '*'}}", false },
        { "capabilities any", "{capabilities: any}", true },
        { "capabilities none", "{capabilities: none}", false },
        { "capabilities anyOf", "{capabilities: {anyOf: ['CAP_NET_*']}}", true },
        { "capabilities within miss", "{capabilities: {within: [CAP_CHOWN]}}", false },
        { "devices none", "{devices: none}", true },
        { "devices within empty request", "{devices: {within: []}}", true },
        { "volumes within", "{volumes: {within: ['da*', 'sam*']}}", true },
        { "tainted volume requested", "{taintedVolumes: any}", true },
        { "no tainted volume requested", "{taintedVolumes: none}", false },
        { "tainted volume read-only", "{taintedVolumes: ro}", true },
        { "tainted volume read-write", "{taintedVolumes: rw}", false },
        { "binds any", "{binds: any}", false },
        { "no path image", "{pathImage: none}", true },
        { "memory above", "{resources: {memory: {above: 512M}}}", true },
        { "memory at most", "{resources: {memory: {atMost: 512M}}}", false },
        { "cpus at most", "{resources: {cpus: {atMost: 2}}}", true },
        { "pids not requested, above", "{resources: {pids: {above: 10}}}", false },
        { "pids not requested, atMost", "{resources: {pids: {atMost: 10}}}", true },
        { "no kernel requested", "{kernel: none}", true },
        { "kernel any", "{kernel: any}", false },
        { "kernel host-cannot-provide without a request", "{kernel: host-cannot-provide}", false },
        { "all conditions must hold", "{trust: untrusted, image: busybox}", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conditions_match_as_documented(string name, string match, bool expected)
    {
        var e = Engine().Evaluate(Matching(match), Base);
        Assert.True(expected == e.Trace[0].Matched, $"{name}: expected matched={expected}; reasons: {string.Join("; ", e.Trace[0].Reasons)}");
        if (!expected)
        {
            Assert.Equal(RefusalKind.NoMatch, e.Refusal?.Kind);
        }
    }

    [Theory]
    [InlineData("{pathImage: any}", true)]
    [InlineData("{pathImage: none}", false)]
    [InlineData("{pathImage: {within: ['/srv/rootfs/*']}}", true)]
    [InlineData("{pathImage: {anyOf: ['/etc', '/']}}", false)]
    public void A_host_directory_as_the_image_is_the_path_image_fact(string match, bool expected)
    {
        var e = Engine().Evaluate(Matching(match), Base with { PathImage = "/srv/rootfs/debian" });
        Assert.True(expected == e.Trace[0].Matched, string.Join("; ", e.Trace[0].Reasons));
    }

    public static TheoryData<string, bool> KernelCases => new()
    {
        { "host", true }, { "debian-6.1", true }, { "6.1", true }, { "debian-5.10", false }, { "linux-6.10", false },
    };

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void The_host_provides_kernels_of_its_own_major_minor(string kernel, bool provides) =>
        Assert.Equal(provides, Sandbox.Runtime.KernelMatch.HostProvides(kernel, "6.1.0-13-amd64").Available);

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("*.io/*", "docker.io/library/x", true)]
    [InlineData("abc", "abcd", false)]
    public void Globs(string pattern, string text, bool expected) => Assert.Equal(expected, Glob.IsMatch(pattern, text));

    [Fact]
    public void The_first_matching_allow_rule_wins()
    {
        var policy = PolicyLoader.Parse("""
            version: 1
            rules:
              - name: first
                effect: allow
                why: a
                match: {trust: untrusted}
                decide: {backend: container, limits: {memory: 64M}}
              - name: second
                effect: allow
                why: b
                decide: {backend: container}
            """, "t.yaml");
        var e = Engine().Evaluate(policy, Facts());
        Assert.Equal(("first", 3), (e.Decision!.Rule!.Name, e.Decision.Rule.Line));
        Assert.Equal(64L << 20, e.Decision.Limits.MemoryBytes);
    }

    [Fact]
    public void A_deny_rule_anywhere_overrides_an_earlier_allow()
    {
        var policy = PolicyLoader.Parse("""
            version: 1
            rules:
              - name: allow-all
                effect: allow
                why: a
                decide: {backend: container}
              - name: no-python
                effect: deny
                why: python is not allowed here
                match: {command: '*python*'}
            """, "t.yaml");
        var e = Engine().Evaluate(policy, Facts() with { Command = ["python3"] });
        Assert.Equal(RefusalKind.Denied, e.Refusal!.Kind);
        Assert.Equal("refused by rule 'no-python' (t.yaml:7): python is not allowed here", e.Refusal.Message);
        Assert.Equal("allow-all", e.Decision!.Rule!.Name); // what would have been decided stays visible to explain
    }
}
