using Sandbox.Policy;
using Sandbox.Policy.Explain;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Unit.Policy.PolicyFixtures;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>`policy explain` output, text and JSON, pinned for representative decisions and refusals.</summary>
public sealed class ExplainSnapshotTests
{
    public static TheoryData<string> Cases => ["untrusted-vm", "trusted-container", "trusted-tightened", "untrusted-bind-denied", "no-microvm", "trusted-tainted-rw-denied"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Explain_text_and_json_are_stable(string name)
    {
        PolicyEvaluation e = name switch
        {
            "untrusted-vm" => Builtin(Facts() with { Command = ["./sample"] }),
            "trusted-container" => Builtin(Facts(TrustLevel.Trusted)),
            "trusted-tightened" => Builtin(Facts(TrustLevel.Trusted) with { MemoryBytes = 64L << 20, PidsLimit = 32, Cpus = 0.5 }),
            "untrusted-bind-denied" => Builtin(Facts() with { Binds = ["/etc"], Volumes = ["data"] }),
            "trusted-tainted-rw-denied" => Builtin(Facts(TrustLevel.Trusted) with
            {
                Volumes = ["samples", "results"],
                VolumeRequests = [new("samples", "/in", ReadOnly: false, WrittenByUntrusted: true), new("results", "/out", ReadOnly: false, WrittenByUntrusted: false)],
            }),
            _ => Builtin(Facts(), FakeHost.WithoutMicroVm),
        };
        Snapshot.Match($"explain-{name}.txt", ExplainText.Human(e));
        Snapshot.Match($"explain-{name}.json", ExplainText.Json(e));
    }
}
