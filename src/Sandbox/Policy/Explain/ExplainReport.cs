using System.Text.Json.Serialization;
using Sandbox.Audit;

namespace Sandbox.Policy.Explain;

/// <summary>
/// `sandbox policy explain --json`, schema sandbox.policy.explain/v1. Stable: members are only ever
/// added; every member is always present (null when not applicable). Snapshot-tested.
/// </summary>
public sealed record ExplainReport(
    string Schema,
    ExplainPolicy Policy,
    ExplainWorkload Workload,
    string Verdict,
    ExplainRefusal? Refusal,
    ExplainDecision? Decision,
    IReadOnlyList<ExplainRule> Rules)
{
    public const string SchemaId = "sandbox.policy.explain/v1";

    public static ExplainReport From(PolicyEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var f = e.Facts;
        return new ExplainReport(
            SchemaId,
            new ExplainPolicy(e.PolicySource, e.PolicySha256),
            new ExplainWorkload(PolicyNames.Trust(f.Trust), PolicyNames.Backend(f.RequestedBackend), f.ImageReference, f.ImageDigest,
                f.Command, f.RequestedKernel, f.Volumes, f.Binds, f.Capabilities, f.Devices, f.Network, f.MemoryBytes, f.Cpus, f.PidsLimit, f.SeccompProfile,
                [.. f.VolumeRequests.Select(v => new ExplainVolume(v.Name, v.Target, v.ReadOnly, v.WrittenByUntrusted))]),
            e.Allowed ? "allowed" : "refused",
            e.Refusal is { } r ? new ExplainRefusal(Kind(r.Kind), r.Message, r.Hint, Rule(r.Rule)) : null,
            e.Decision is { } d ? new ExplainDecision(Rule(d.Rule), d.Reason, Runtime.RunAudit.ToAudit(d), d.Ceilings is { } c ? Limits(c) : null) : null,
            [.. e.Trace.Select(t => new ExplainRule(t.Rule.Name, t.Effect == RuleEffect.Allow ? "allow" : "deny", t.Rule.File, t.Rule.Line, t.Matched, t.Reasons))]);
    }

    private static AuditRule? Rule(RuleRef? r) => r is null ? null : new AuditRule(r.Name, r.File, r.Line);

    private static AuditLimits Limits(ResourceLimits l) => new(l.MemoryBytes, l.Cpus, l.PidsLimit, l.TmpfsBytes, l.OpenFiles);

    private static string Kind(RefusalKind k) => k switch
    {
        RefusalKind.Denied => "denied",
        RefusalKind.NoMatch => "no-match",
        RefusalKind.NotAllowed => "not-allowed",
        _ => "unavailable",
    };
}

public sealed record ExplainPolicy(string Source, string Sha256);

public sealed record ExplainWorkload(
    string Trust, string Backend, string Image, string? Digest, IReadOnlyList<string> Command, string? Kernel,
    IReadOnlyList<string> Volumes, IReadOnlyList<string> Binds, IReadOnlyList<string> Capabilities, IReadOnlyList<string> Devices,
    string Network, long? MemoryBytes, double? Cpus, long? PidsLimit, string? SeccompProfile,
    IReadOnlyList<ExplainVolume> VolumeMounts);

/// <summary>A requested named volume mount and its taint at decision time.</summary>
public sealed record ExplainVolume(string Name, string Target, bool ReadOnly, bool WrittenByUntrusted);

public sealed record ExplainRefusal(string Kind, string Message, string Hint, AuditRule? Rule);

/// <summary>The decision (same shape as in the audit log) plus the rule's ceilings.</summary>
public sealed record ExplainDecision(AuditRule? Rule, string Summary, AuditDecision Grants, AuditLimits? Ceilings);

public sealed record ExplainRule(string Name, string Effect, string File, int Line, bool Matched, IReadOnlyList<string> Reasons);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ExplainReport))]
internal sealed partial class ExplainJsonContext : JsonSerializerContext;
