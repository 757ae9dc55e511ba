using Sandbox.Audit;
using Sandbox.Policy;
using Sandbox.Policy.Diff;
using Sandbox.Policy.Replay;
using Sandbox.Profiles;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>`policy diff`: rule changes by name, and recorded runs decided again under the new policy.</summary>
public sealed class PolicyDiffTests
{
    private static readonly string Builtin = PolicyLoader.BuiltinText();

    private static (PolicyDocument, string) Parse(string text) => (PolicyLoader.Parse(text, "new.yaml"), text);

    // Trusted code capped at 256M, a new deny rule for one image, and the kernel rule after the untrusted one.
    private static string Modified() => Builtin
        .Replace("limits: {memory: 512M, cpus: 1, pids: 256, tmpfs: 64M, openFiles: 1024}", "limits: {memory: 256M, cpus: 1, pids: 256, tmpfs: 64M, openFiles: 1024}", StringComparison.Ordinal)
        .Replace("rules:\n", "rules:\n  - name: no-legacy\n    effect: deny\n    why: legacy images are retired\n    match: {image: 'legacy*'}\n\n", StringComparison.Ordinal);

    [Fact]
    public void Rule_changes_are_named_by_rule_and_key()
    {
        var (newPolicy, newText) = Parse(Modified());
        PolicyDiffReport d = PolicyRuleDiff.Compare(PolicyLoader.Builtin(), Builtin, newPolicy, newText);
        Assert.Equal(["added no-legacy", "changed trusted-to-container"], d.Rules.Select(r => $"{r.Kind} {r.Rule}"));
        Assert.Equal(["decide.limits: {memory: 512M, cpus: 1, pids: 256, tmpfs: 64M, openFiles: 1024} -> {memory: 256M, cpus: 1, pids: 256, tmpfs: 64M, openFiles: 1024}"],
            d.Rules[1].Details);
    }

    [Fact]
    public void Moving_one_allow_rule_reports_that_rule_only_and_deny_order_is_not_a_change()
    {
        string kernelRule = Builtin[Builtin.IndexOf("  - name: kernel-the-host-cannot-give", StringComparison.Ordinal)..Builtin.IndexOf("  - name: untrusted-to-vm", StringComparison.Ordinal)];
        string denyRule = Builtin[Builtin.IndexOf("  - name: no-host-binds-for-untrusted", StringComparison.Ordinal)..Builtin.IndexOf("  - name: kernel-the-host-cannot-give", StringComparison.Ordinal)];
        string moved = Builtin.Replace(kernelRule, "", StringComparison.Ordinal).Replace(denyRule, "", StringComparison.Ordinal)
            .Replace("  - name: trusted-to-container", kernelRule + "  - name: trusted-to-container", StringComparison.Ordinal) + "\n" + denyRule;
        var (newPolicy, newText) = Parse(moved);
        PolicyDiffReport d = PolicyRuleDiff.Compare(PolicyLoader.Builtin(), Builtin, newPolicy, newText);
        RuleChange change = Assert.Single(d.Rules);
        Assert.Equal(("moved", "kernel-the-host-cannot-give"), (change.Kind, change.Rule));
        Assert.Contains("allow position 1 -> 2", change.Details[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Identical_policies_have_no_difference() =>
        Assert.True(PolicyRuleDiff.Compare(PolicyLoader.Builtin(), Builtin, PolicyLoader.Builtin(), Builtin).Same);

    private static AuditRecord Recorded(long seq, string trust, string image, string outcome, string? memory = null)
    {
        var facts = new global::Sandbox.Policy.WorkloadFacts
        {
            Trust = trust == "trusted" ? TrustLevel.Trusted : TrustLevel.Untrusted,
            ImageReference = image,
            MemoryBytes = memory is null ? null : global::Sandbox.Runtime.Quantities.ParseSize(memory, "memory"),
        };
        var evaluation = new PolicyEngine(new RecordedHost("6.1.0", Accelerator.Kvm), ProfileCatalog.Resolve).Evaluate(PolicyLoader.Builtin(), facts);
        return new AuditRecord
        {
            Seq = seq,
            Time = "2026-12-01T10:00:00.000Z",
            Sandbox = outcome == "refused" ? null : $"sb-{seq}",
            Image = new AuditImage(image, null),
            Facts = RecordedFacts.ToAudit(facts, "6.1.0"),
            Rule = (evaluation.Refusal?.Rule ?? evaluation.Decision?.Rule) is { } r ? new AuditRule(r.Name, r.File, r.Line) : null,
            Decision = evaluation.Decision is { } d ? global::Sandbox.Runtime.RunAudit.ToAudit(d) : null,
            Outcome = outcome,
        };
    }

    [Fact]
    public void Replay_lists_exactly_the_runs_the_new_policy_decides_differently()
    {
        AuditRecord[] log =
        [
            Recorded(1, "trusted", "busybox", "started"),
            Recorded(1, "trusted", "busybox", "exited") with { Seq = 2 },          // same run (sb-1): one run
            Recorded(3, "trusted", "legacy-app", "exited"),                          // denied by no-legacy
            Recorded(4, "untrusted", "busybox", "exited"),                           // unchanged (microVM)
            Recorded(5, "trusted", "busybox", "exited", memory: "128M"),             // already below 256M: unchanged
            Recorded(6, "trusted", "busybox", "refused", memory: "1G"),              // refused before and after
            new AuditRecord { Seq = 7, Time = "2026-12-01T10:00:00.000Z", Image = new AuditImage("old", null), Outcome = "exited" }, // no facts
            // Refused after the policy allowed them (an unsized volume): the policy's verdict was allow.
            Recorded(8, "untrusted", "busybox", "refused") with { Sandbox = "sb-8", RefusedBy = "check" },  // unchanged
            Recorded(9, "trusted", "busybox", "refused") with { Sandbox = "sb-9", RefusedBy = "check" },    // its limits change
        ];
        ReplayReport report = PolicyReplay.Run(log, PolicyLoader.Parse(Modified(), "new.yaml"), ProfileCatalog.Resolve);
        Assert.Equal(8, report.Runs);
        Assert.Equal(7, report.Replayed);
        Assert.Equal([7L], report.WithoutFacts);
        Assert.Equal([1L, 3L, 9L], report.Differences.Select(d => d.Seq));
        Assert.Equal(["memory: 512M -> 256M"], report.Differences[0].Changes);
        Assert.Equal(("allowed", "refused", "no-legacy"), (report.Differences[1].RecordedVerdict, report.Differences[1].NewVerdict, report.Differences[1].NewRule));
        Assert.Equal(("allowed", "container"), (report.Differences[2].RecordedVerdict, report.Differences[2].RecordedBackend));
        Assert.Equal(["memory: 512M -> 256M"], report.Differences[2].Changes);
    }

    private static string Json(global::Sandbox.Policy.WorkloadFacts f) => System.Text.Json.JsonSerializer.Serialize(
        new AuditRecord { Time = "t", Image = new AuditImage("i", null), Outcome = "exited", Facts = RecordedFacts.ToAudit(f, "6.1.0") },
        AuditJsonContext.Default.AuditRecord);

    [Fact]
    public void Recorded_facts_round_trip()
    {
        var facts = new global::Sandbox.Policy.WorkloadFacts
        {
            Trust = TrustLevel.Trusted,
            RequestedBackend = BackendKind.MicroVm,
            ImageReference = "registry.example/app:1",
            ImageDigest = "sha256:" + new string('a', 64),
            Labels = System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("sandbox.kernel", "debian-5.10")]),
            Command = ["sh", "-c", "true"],
            Volumes = ["data"],
            VolumeRequests = [new VolumeRequest("data", "/data", true, true)],
            Binds = ["/srv"],
            MemoryBytes = 1 << 20,
            Cpus = 0.5,
            PidsLimit = 10,
            SeccompProfile = "default",
            Kernel = "debian-5.10",
        };
        var back = RecordedFacts.FromAudit(RecordedFacts.ToAudit(facts, "6.1.0"))!;
        Assert.Equal(Json(facts), Json(back));
        Assert.Contains("\"readOnly\":true,\"writtenByUntrusted\":true", Json(back), StringComparison.Ordinal);
    }
}
