using System.Collections.Immutable;

namespace Sandbox.Policy;

/// <summary>
/// What policy decided for one workload: the isolation kind and every hardening parameter, the
/// rule that decided it (name and file:line) and the reasons a person can read. Immutable.
/// The four positional members are the original contract; the rest were added by the policy engine
/// and default to the strictest value, so a Decision built without them grants nothing extra.
/// </summary>
public sealed record Decision(BackendKind Backend, string SeccompProfile, ResourceLimits Limits, string Reason)
{
    /// <summary>The allow rule that produced this decision; null only for internal decisions (the runtime trial run).</summary>
    public RuleRef? Rule { get; init; }

    /// <summary>Capabilities granted to the workload: those it asked for and the rule allows. Empty by default.</summary>
    public ImmutableArray<string> Capabilities { get; init; } = [];

    /// <summary>Host devices granted (paths); empty by default.</summary>
    public ImmutableArray<string> Devices { get; init; } = [];

    /// <summary>Network mode; "none" (loopback only) is the only one today.</summary>
    public string Network { get; init; } = "none";

    /// <summary>Guest kernel for a microVM; null for containers, which share the host kernel.</summary>
    public string? Kernel { get; init; }

    /// <summary>Named volumes granted to the workload (it asked for them and the rule allows them).</summary>
    public ImmutableArray<string> Volumes { get; init; } = [];

    /// <summary>Host paths granted as bind mounts.</summary>
    public ImmutableArray<string> Binds { get; init; } = [];

    /// <summary>Whether the rule accepts emulated virtualization (TCG) when KVM is unavailable.</summary>
    public bool AllowEmulation { get; init; }

    /// <summary>MicroVM only: whether the guest may be restored from a pre-booted VM template (decide.templates, default true).</summary>
    public bool Templates { get; init; }

    /// <summary>For a microVM: the accelerator the host offers and the rule accepts; None for containers.</summary>
    public Accelerator Accelerator { get; init; } = Accelerator.None;

    /// <summary>The rule's ceilings; <see cref="Decision.Limits"/> is at or below each of them.</summary>
    public ResourceLimits? Ceilings { get; init; }

    /// <summary>Why, step by step: which conditions matched and which flags tightened what.</summary>
    public ImmutableArray<string> Reasons { get; init; } = [];
}
