using System.Collections.Immutable;

namespace Sandbox.Policy;

/// <summary>Allow rules decide; deny rules refuse and override every allow rule.</summary>
public enum RuleEffect
{
    Allow,
    Deny,
}

/// <summary>
/// One rule: when all <paramref name="Conditions"/> hold (an empty list holds for every workload),
/// an allow rule yields <paramref name="Outcome"/>, a deny rule refuses with <paramref name="Why"/>.
/// </summary>
public sealed record PolicyRule(RuleRef Ref, RuleEffect Effect, string Why, ImmutableArray<Condition> Conditions, RuleOutcome? Outcome);

/// <summary>
/// What an allow rule grants. Sets are what the workload MAY have (it gets what it asks for within
/// them, nothing by default); limits are ceilings (flags may go lower, never higher).
/// </summary>
/// <param name="Backends">Backends the rule accepts; the first is used unless the user asks for another listed one.</param>
/// <param name="Kernel">Guest kernel used when the workload asks for none (microVM only).</param>
/// <param name="Kernels">Patterns of kernels the workload may ask for (microVM only).</param>
public sealed record RuleOutcome(
    ImmutableArray<BackendKind> Backends,
    string SeccompProfile,
    ImmutableArray<string> Capabilities,
    ImmutableArray<string> Devices,
    ImmutableArray<string> Networks,
    ResourceLimits Ceilings,
    string? Kernel,
    ImmutableArray<string> Kernels,
    ImmutableArray<string> Volumes,
    ImmutableArray<string> Binds,
    bool AllowEmulation,
    bool Templates = true);

/// <summary>A loaded policy: where it came from, the SHA-256 of its exact bytes, and its rules in order.</summary>
public sealed record PolicyDocument(string Source, string Sha256, ImmutableArray<PolicyRule> Rules);
