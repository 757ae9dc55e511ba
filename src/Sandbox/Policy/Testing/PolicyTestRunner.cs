using System.Collections.Immutable;
using System.Globalization;
using Sandbox.Profiles;

namespace Sandbox.Policy.Testing;

/// <summary>One expectation that did not hold.</summary>
public sealed record CaseMismatch(string Field, string Expected, string Actual);

/// <summary>How one case fared: what the policy decided, and each expectation it missed.</summary>
/// <param name="Matched">Every rule that matched the workload, in file order, with where it is written.</param>
/// <param name="Explanation">For a failed case: which rule decided (or refused) instead, and why it matched.</param>
public sealed record CaseResult(
    string Name,
    int Line,
    string Verdict,
    string? Rule,
    string? RuleLocation,
    string? Backend,
    IReadOnlyList<string> Matched,
    IReadOnlyList<CaseMismatch> Mismatches,
    string? Explanation)
{
    public bool Passed => Mismatches.Count == 0;
}

/// <summary>`policy test`: the policy, the cases file, and every case's result.</summary>
public sealed record PolicyTestReport(string Policy, string PolicySha256, string Cases, IReadOnlyList<CaseResult> Results)
{
    /// <summary>`policy test --json` schema; members are only ever added.</summary>
    public string Schema { get; init; } = "sandbox.policy.test/v1";

    public int Failed => Results.Count(r => !r.Passed);
}

/// <summary>
/// Runs a cases file against a policy through the same engine `sandbox run` uses, with the host the
/// cases file declares. Pure: the same policy and cases always give the same report.
/// </summary>
public static class PolicyTestRunner
{
    public static PolicyTestReport Run(PolicyDocument policy, PolicyCaseFile cases, Func<string, SeccompProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(cases);
        var engine = new PolicyEngine(new DeclaredHost(cases.Host), profiles);
        return new PolicyTestReport(policy.Source, policy.Sha256, cases.Source, [.. cases.Cases.Select(c => Check(c, engine.Evaluate(policy, c.Workload)))]);
    }

    public static string RefusalKind(RefusalKind k) => k switch
    {
        Policy.RefusalKind.Denied => "denied",
        Policy.RefusalKind.NoMatch => "no-match",
        Policy.RefusalKind.NotAllowed => "not-allowed",
        _ => "unavailable",
    };

    private static CaseResult Check(PolicyCase c, PolicyEvaluation e)
    {
        CaseExpectation x = c.Expect;
        Decision? d = e.Decision;
        RuleRef? rule = e.Refusal?.Rule ?? d?.Rule;
        string verdict = e.Allowed ? "allowed" : "refused";
        var m = new List<CaseMismatch>();
        Check(m, "verdict", x.Verdict, verdict);
        Check(m, "rule", x.Rule, rule?.Name ?? "(none)");
        Check(m, "refusal", x.Refusal, e.Refusal is { } r ? RefusalKind(r.Kind) : "(none)");
        Check(m, "backend", x.Backend, d is null ? "(none)" : PolicyNames.Backend(d.Backend));
        Check(m, "seccompProfile", x.SeccompProfile, d?.SeccompProfile ?? "(none)");
        Check(m, "network", x.Network, d?.Network ?? "(none)");
        Check(m, "kernel", x.Kernel, d?.Kernel ?? "(none)");
        Check(m, "accelerator", x.Accelerator, d is null ? "(none)" : PolicyNames.Accelerator(d.Accelerator));
        Check(m, "memory", x.MemoryBytes is { } mem ? PolicyNames.Size(mem) : null, d is null ? "(none)" : PolicyNames.Size(d.Limits.MemoryBytes));
        Check(m, "cpus", x.Cpus is { } cpus ? PolicyNames.Number(cpus) : null, d is null ? "(none)" : PolicyNames.Number(d.Limits.Cpus));
        Check(m, "pids", x.PidsLimit?.ToString(CultureInfo.InvariantCulture), d?.Limits.PidsLimit.ToString(CultureInfo.InvariantCulture) ?? "(none)");
        Check(m, "capabilities", List(x.Capabilities), d is null ? "(none)" : List(d.Capabilities));
        Check(m, "devices", List(x.Devices), d is null ? "(none)" : List(d.Devices));
        Check(m, "volumes", List(x.Volumes), d is null ? "(none)" : List(d.Volumes));
        Check(m, "binds", List(x.Binds), d is null ? "(none)" : List(d.Binds));
        Check(m, "allowEmulation", x.AllowEmulation is { } ae ? Flag(ae) : null, d is null ? "(none)" : Flag(d.AllowEmulation));

        var matched = e.Trace.Where(t => t.Matched).Select(t => $"{(t.Effect == RuleEffect.Allow ? "allow" : "deny")} {t.Rule.Name} ({t.Rule.Location})").ToList();
        string? explanation = m.Count == 0 ? null : Explain(e, rule);
        return new CaseResult(c.Name, c.Line, verdict, rule?.Name, rule?.Location, e.Allowed ? PolicyNames.Backend(d!.Backend) : null, matched, m, explanation);
    }

    // Names the rule that decided instead, and the conditions that made it match.
    private static string Explain(PolicyEvaluation e, RuleRef? rule)
    {
        if (rule is null)
        {
            return e.Refusal?.Message ?? "no rule decided";
        }

        RuleTrace trace = e.Trace.First(t => t.Rule == rule);
        string how = e.Refusal is { } r ? $"{RefusalKind(r.Kind)}: {r.Message}" : $"decided by {rule}";
        return $"{how}; it matched because {string.Join("; ", trace.Reasons)}";
    }

    private static void Check(List<CaseMismatch> m, string field, string? expected, string actual)
    {
        if (expected is not null && expected != actual)
        {
            m.Add(new CaseMismatch(field, expected, actual));
        }
    }

    private static string? List(ImmutableArray<string>? items) => items is { } i ? List(i) : null;

    private static string List(ImmutableArray<string> items) => $"[{string.Join(", ", items)}]";

    private static string Flag(bool b) => b ? "true" : "false";
}
