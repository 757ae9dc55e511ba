using System.Diagnostics;
using System.Diagnostics.Metrics;
using Sandbox.Policy;

namespace Sandbox.Telemetry;

/// <summary>
/// The library's OpenTelemetry-compatible instrumentation, through the BCL's ActivitySource and
/// Meter only (no SDK dependency here): each policy decision is a span, and a counter counts
/// decisions by backend and outcome. The CLI attaches an exporter when OTEL_* variables ask for one.
/// </summary>
public static class SandboxDiagnostics
{
    public const string Name = "Sandbox";

    public static readonly ActivitySource Source = new(Name, "1.0");

    public static readonly Meter Meter = new(Name, "1.0");

    /// <summary>sandbox.policy.decisions{sandbox.backend, sandbox.outcome}.</summary>
    public static readonly Counter<long> Decisions =
        Meter.CreateCounter<long>("sandbox.policy.decisions", unit: "{decision}", description: "Policy decisions by backend and outcome");

    /// <summary>Starts the span of one decision (null when nobody listens).</summary>
    public static Activity? StartDecision(WorkloadFacts facts, PolicyDocument policy)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(policy);
        Activity? a = Source.StartActivity("sandbox.policy.decide");
        a?.SetTag("sandbox.policy.source", policy.Source);
        a?.SetTag("sandbox.policy.sha256", policy.Sha256);
        a?.SetTag("sandbox.trust", PolicyNames.Trust(facts.Trust));
        a?.SetTag("sandbox.backend.requested", PolicyNames.Backend(facts.RequestedBackend));
        a?.SetTag("sandbox.image", facts.ImageReference);
        return a;
    }

    /// <summary>Tags the span with the outcome and counts the decision.</summary>
    public static void Decided(Activity? activity, PolicyEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        string backend = evaluation.Decision is { } d ? PolicyNames.Backend(d.Backend) : "none";
        string outcome = evaluation.Allowed ? "allowed" : "refused";
        RuleRef? rule = evaluation.Refusal?.Rule ?? evaluation.Decision?.Rule; // a deny rule, not the allow rule it overrode
        if (activity is not null)
        {
            activity.SetTag("sandbox.backend", backend);
            activity.SetTag("sandbox.outcome", outcome);
            activity.SetTag("sandbox.policy.rule", rule?.Name);
            activity.SetTag("sandbox.policy.rule.location", rule?.Location);
            if (evaluation.Refusal is { } r)
            {
                activity.SetTag("sandbox.refusal.kind", r.Kind.ToString());
                activity.SetTag("sandbox.refusal.message", r.Message);
            }
        }

        Decisions.Add(1, new KeyValuePair<string, object?>("sandbox.backend", backend), new KeyValuePair<string, object?>("sandbox.outcome", outcome));
    }
}
