using System.Collections.Immutable;
using Sandbox.Runtime;

namespace Sandbox.Policy;

/// <summary>Why a workload was refused; each kind is a different kind of fix for the user.</summary>
public enum RefusalKind
{
    /// <summary>A deny rule matched (deny overrides every allow rule).</summary>
    Denied,
    /// <summary>No allow rule matched.</summary>
    NoMatch,
    /// <summary>An explicit choice (flag) asks for more than the matching rule allows.</summary>
    NotAllowed,
    /// <summary>The decided backend, kernel or accelerator does not exist on this host (fail closed).</summary>
    Unavailable,
}

/// <summary>A refusal: what and why (naming the rule where one applies), and what the user can do.</summary>
public sealed record Refusal(RefusalKind Kind, string Message, string Hint, RuleRef? Rule)
{
    public SandboxException ToException() => new(ErrorKind.Refused, Message, Hint);
}

/// <summary>How one rule fared against the workload, condition by condition.</summary>
public sealed record RuleTrace(RuleRef Rule, RuleEffect Effect, bool Matched, ImmutableArray<string> Reasons);

/// <summary>
/// The full answer of the engine for one workload: every rule's trace, the decision of the first
/// matching allow rule (null when none matched or the request exceeds it), and the refusal, if any.
/// A decision together with a refusal means policy decided but the host cannot carry it out.
/// </summary>
public sealed record PolicyEvaluation(
    string PolicySource,
    string PolicySha256,
    WorkloadFacts Facts,
    ImmutableArray<RuleTrace> Trace,
    Decision? Decision,
    Refusal? Refusal)
{
    public bool Allowed => Refusal is null && Decision is not null;

    /// <summary>The decision, or the refusal as the exception the launcher reports (exit 125).</summary>
    public Decision Require() => Refusal is { } r ? throw r.ToException() : Decision!;
}
