using System.Collections.Immutable;
using Sandbox.Profiles;
using Sandbox.Telemetry;

namespace Sandbox.Policy;

/// <summary>
/// Evaluates a policy against a workload. Every rule is traced; any matching deny rule refuses
/// (deny overrides); otherwise the first matching allow rule decides, its grants are checked against
/// what the user explicitly asked for (tighten only), and the host is asked whether the decision can
/// be carried out (fail closed). No matching allow rule means refusal.
/// </summary>
public sealed class PolicyEngine(IBackendAvailability host, Func<string, SeccompProfile> profiles)
{
    public PolicyEvaluation Evaluate(PolicyDocument policy, WorkloadFacts facts)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(facts);
        using var activity = SandboxDiagnostics.StartDecision(facts, policy);
        var trace = policy.Rules.Select(rule => Trace(rule, facts)).ToImmutableArray();

        PolicyRule? allow = policy.Rules.Zip(trace).FirstOrDefault(p => p.First.Effect == RuleEffect.Allow && p.Second.Matched).First;
        Decision? decision = null;
        Refusal? refusal = null;
        if (allow is not null)
        {
            var matched = trace.First(t => t.Rule == allow.Ref).Reasons;
            (decision, refusal) = new RuleApplication(allow, facts, host, profiles, matched).Apply();
        }

        var denials = policy.Rules.Zip(trace).Where(p => p.First.Effect == RuleEffect.Deny && p.Second.Matched).Select(p => p.First).ToList();
        if (denials.Count > 0)
        {
            PolicyRule deny = denials[0];
            string others = denials.Count > 1 ? $" (also denied by {string.Join(", ", denials.Skip(1).Select(d => d.Ref.ToString()))})" : "";
            string matched = string.Join("; ", trace.First(t => t.Rule == deny.Ref).Reasons); // names what in the request it matched
            refusal = new Refusal(RefusalKind.Denied,
                $"refused by {deny.Ref}: {deny.Why}{others}",
                $"it matched: {matched}. A matching deny rule overrides every allow rule; change the request, or use a policy without this rule (--policy FILE)",
                deny.Ref);
        }
        else if (allow is null)
        {
            refusal = new Refusal(RefusalKind.NoMatch,
                $"refused: no rule in {policy.Source} matches this workload (trust={PolicyNames.Trust(facts.Trust)}, image={facts.ImageReference})",
                "sandbox policy explain with the same arguments shows each rule's verdict; add an allow rule for this workload",
                null);
        }

        var evaluation = new PolicyEvaluation(policy.Source, policy.Sha256, facts, trace, decision, refusal);
        SandboxDiagnostics.Decided(activity, evaluation);
        return evaluation;
    }

    private RuleTrace Trace(PolicyRule rule, WorkloadFacts facts)
    {
        if (rule.Conditions.IsEmpty)
        {
            return new RuleTrace(rule.Ref, rule.Effect, true, ["no conditions: matches every workload"]);
        }

        var reasons = ImmutableArray.CreateBuilder<string>();
        bool all = true;
        foreach (Condition c in rule.Conditions)
        {
            all &= c.Holds(facts, host, out string reason);
            reasons.Add(reason);
        }

        return new RuleTrace(rule.Ref, rule.Effect, all, reasons.ToImmutable());
    }
}
