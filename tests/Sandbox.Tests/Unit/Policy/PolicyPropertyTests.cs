using Sandbox.Policy;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>
/// Random workloads against a fixed policy, compared with an independent model of the rules:
/// deny overrides, the first matching allow decides, flags only tighten, no match refuses.
/// Seeded, so a failure names a reproducible case.
/// </summary>
public sealed class PolicyPropertyTests
{
    private const string Yaml = """
        version: 1
        rules:
          - name: no-admin
            effect: deny
            why: never CAP_SYS_ADMIN
            match: {capabilities: {anyOf: [CAP_SYS_ADMIN]}}
          - name: big-untrusted
            effect: deny
            why: untrusted workloads stay small
            match: {trust: untrusted, resources: {memory: {above: 1G}}}
          - name: web
            effect: allow
            why: web servers bind low ports
            match: {image: 'web/*'}
            decide: {backend: [container, microvm], capabilities: [CAP_NET_BIND_SERVICE], limits: {memory: 2G, cpus: 2, pids: 500}}
          - name: trusted
            effect: allow
            why: trusted code
            match: {trust: trusted}
            decide: {backend: container, limits: {memory: 512M, cpus: 1, pids: 256}}
          - name: untrusted
            effect: allow
            why: known images only
            match: {trust: untrusted, image: [busybox, 'web/*', 'tools/*']}
            decide: {backend: microvm, limits: {memory: 1G, cpus: 1, pids: 128}}
        """;

    private static readonly string[] Images = ["busybox", "web/nginx", "tools/jq", "other/thing"];
    private static readonly string[] Caps = ["CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"];
    private static readonly long?[] Memories = [null, 64L << 20, 512L << 20, 1L << 30, 3L << 30];
    private static readonly double?[] Cpus = [null, 0.5, 1, 2, 4];
    private static readonly long?[] Pids = [null, 50, 200, 1000];

    [Fact]
    public void Random_workloads_follow_the_model()
    {
        PolicyDocument policy = PolicyLoader.Parse(Yaml, "p.yaml");
        var engine = new PolicyEngine(new FakeHost(), Sandbox.Profiles.ProfileCatalog.Resolve);
        var random = new Random(20261126);
        for (int i = 0; i < 5000; i++)
        {
            WorkloadFacts f = RandomFacts(random);
            PolicyEvaluation e = engine.Evaluate(policy, f);
            string describe = $"case {i}: trust={f.Trust} backend={f.RequestedBackend} image={f.ImageReference} caps=[{string.Join(",", f.Capabilities)}] mem={f.MemoryBytes} cpus={f.Cpus} pids={f.PidsLimit} -> {e.Refusal?.Message ?? "allowed by " + e.Decision?.Rule?.Name}";
            Check(f, e, describe);
        }
    }

    private static void Check(WorkloadFacts f, PolicyEvaluation e, string describe)
    {
        bool denied = f.Capabilities.Contains("CAP_SYS_ADMIN") || (f.Trust == TrustLevel.Untrusted && f.MemoryBytes > (1L << 30));
        (string Name, BackendKind[] Backends, string[] Caps, ResourceLimits Ceil)? rule =
            f.ImageReference.StartsWith("web/", StringComparison.Ordinal) ? ("web", [BackendKind.Container, BackendKind.MicroVm], ["CAP_NET_BIND_SERVICE"], Limits(2L << 30, 2, 500))
            : f.Trust == TrustLevel.Trusted ? ("trusted", [BackendKind.Container], [], Limits(512L << 20, 1, 256))
            : f.ImageReference != "other/thing" ? ("untrusted", [BackendKind.MicroVm], [], Limits(1L << 30, 1, 128))
            : null;

        if (denied)
        {
            Assert.True(e.Refusal?.Kind == RefusalKind.Denied, describe); // deny overrides, whatever else holds
            return;
        }

        if (rule is not { } r)
        {
            Assert.True(e.Refusal?.Kind == RefusalKind.NoMatch && e.Decision is null, describe);
            return;
        }

        bool loosens = f.MemoryBytes > r.Ceil.MemoryBytes || f.Cpus > r.Ceil.Cpus || f.PidsLimit > r.Ceil.PidsLimit
            || f.Capabilities.Any(c => !r.Caps.Contains(c))
            || (f.RequestedBackend != BackendKind.Auto && !r.Backends.Contains(f.RequestedBackend));
        if (loosens)
        {
            Assert.True(e.Refusal?.Kind == RefusalKind.NotAllowed && e.Refusal.Rule?.Name == r.Name, describe);
            return;
        }

        Assert.True(e.Allowed, describe);
        Decision d = e.Decision!;
        Assert.Equal(r.Name, d.Rule!.Name);
        Assert.Equal(f.MemoryBytes ?? r.Ceil.MemoryBytes, d.Limits.MemoryBytes);
        Assert.Equal(f.Cpus ?? r.Ceil.Cpus, d.Limits.Cpus);
        Assert.Equal(f.PidsLimit ?? r.Ceil.PidsLimit, d.Limits.PidsLimit);
        Assert.True(d.Limits.MemoryBytes <= r.Ceil.MemoryBytes && d.Limits.Cpus <= r.Ceil.Cpus && d.Limits.PidsLimit <= r.Ceil.PidsLimit, describe);
        Assert.Equal(f.RequestedBackend == BackendKind.Auto ? r.Backends[0] : f.RequestedBackend, d.Backend);
        Assert.Equal(f.Capabilities, d.Capabilities);
    }

    private static ResourceLimits Limits(long memory, double cpus, long pids) => ResourceLimits.Default with { MemoryBytes = memory, Cpus = cpus, PidsLimit = pids };

    private static WorkloadFacts RandomFacts(Random r) => new()
    {
        Trust = r.Next(2) == 0 ? TrustLevel.Untrusted : TrustLevel.Trusted,
        RequestedBackend = (BackendKind)r.Next(3),
        ImageReference = Images[r.Next(Images.Length)],
        Capabilities = [.. Caps.Where(_ => r.Next(4) == 0)],
        MemoryBytes = Memories[r.Next(Memories.Length)],
        Cpus = Cpus[r.Next(Cpus.Length)],
        PidsLimit = Pids[r.Next(Pids.Length)],
    };
}
