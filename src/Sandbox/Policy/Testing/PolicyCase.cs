using System.Collections.Immutable;

namespace Sandbox.Policy.Testing;

/// <summary>One test of a policy: a workload and what the policy must decide for it.</summary>
/// <param name="Line">Where the case is written in the cases file (1-based).</param>
public sealed record PolicyCase(string Name, int Line, WorkloadFacts Workload, CaseExpectation Expect);

/// <summary>
/// What a case expects; null members are not checked. <see cref="Verdict"/> is "allowed" or
/// "refused"; <see cref="Refusal"/> the refusal kind (denied, no-match, not-allowed, unavailable);
/// <see cref="Rule"/> the rule that decided or refused.
/// </summary>
public sealed record CaseExpectation
{
    public string? Verdict { get; init; }
    public string? Rule { get; init; }
    public string? Refusal { get; init; }
    public string? Backend { get; init; }
    public string? SeccompProfile { get; init; }
    public string? Network { get; init; }
    public string? Kernel { get; init; }
    public string? Accelerator { get; init; }
    public long? MemoryBytes { get; init; }
    public double? Cpus { get; init; }
    public long? PidsLimit { get; init; }
    public ImmutableArray<string>? Capabilities { get; init; }
    public ImmutableArray<string>? Devices { get; init; }
    public ImmutableArray<string>? Volumes { get; init; }
    public ImmutableArray<string>? Binds { get; init; }
    public bool? AllowEmulation { get; init; }
}

/// <summary>The host a cases file decides against, so results do not depend on the machine running them.</summary>
public sealed record DeclaredHostFacts(
    ImmutableArray<BackendKind> Backends,
    Accelerator Accelerator,
    string HostKernel,
    ImmutableArray<string> GuestKernels)
{
    /// <summary>Both backends, KVM, a 6.1 host kernel, every guest kernel fetched.</summary>
    public static DeclaredHostFacts Default { get; } = new([BackendKind.Container, BackendKind.MicroVm], Accelerator.Kvm, "6.1.0", ["*"]);
}

/// <summary>A parsed cases file.</summary>
public sealed record PolicyCaseFile(string Source, DeclaredHostFacts Host, ImmutableArray<PolicyCase> Cases);
