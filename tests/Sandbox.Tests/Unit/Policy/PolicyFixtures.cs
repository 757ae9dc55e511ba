using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>Policies, facts and engines for the policy tests.</summary>
internal static class PolicyFixtures
{
    public static PolicyEngine Engine(IBackendAvailability? host = null) => new(host ?? new FakeHost(), ProfileCatalog.Resolve);

    public static WorkloadFacts Facts(TrustLevel trust = TrustLevel.Untrusted) => new() { ImageReference = "busybox", Trust = trust, Command = ["sh"] };

    public static PolicyEvaluation Builtin(WorkloadFacts facts, IBackendAvailability? host = null) =>
        Engine(host).Evaluate(PolicyLoader.Builtin(), facts);

    /// <summary>A one-rule policy allowing everything with <paramref name="decide"/> (a flow mapping).</summary>
    public static PolicyDocument AllowAll(string decide = "{backend: container}") =>
        PolicyLoader.Parse($"version: 1\nrules:\n  - name: all\n    effect: allow\n    why: test\n    decide: {decide}\n", "t.yaml");

    /// <summary>A policy of one rule matching <paramref name="match"/> (a flow mapping), allow with a container.</summary>
    public static PolicyDocument Matching(string match) =>
        PolicyLoader.Parse($"version: 1\nrules:\n  - name: r\n    effect: allow\n    why: test\n    match: {match}\n    decide: {{backend: container}}\n", "t.yaml");
}
