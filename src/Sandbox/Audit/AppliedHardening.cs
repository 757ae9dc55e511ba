namespace Sandbox.Audit;

/// <summary>
/// The hardening a backend ACTUALLY applied, read back from what it handed the engine (the OCI
/// bundle's config.json for containers; the VMM's argv and jail for microVMs), never copied from the
/// decision. The audit log records this beside the decision, so a gap between them is visible.
/// </summary>
public sealed record AppliedHardening
{
    /// <summary>"container" or "microvm".</summary>
    public required string Backend { get; init; }

    /// <summary>The engine that ran it: the OCI runtime (runc, crun) or the VMM (qemu).</summary>
    public string? Engine { get; init; }

    /// <summary>Seccomp profile name as decided, and the SHA-256 of the filter actually installed (ProfileDigest).</summary>
    public string? SeccompProfile { get; init; }

    public string? SeccompSha256 { get; init; }

    public CapabilitySets? Capabilities { get; init; }

    public IReadOnlyList<IdMap> UidMap { get; init; } = [];

    public IReadOnlyList<IdMap> GidMap { get; init; } = [];

    public IReadOnlyList<string> Namespaces { get; init; } = [];

    public bool ReadonlyRoot { get; init; }

    public bool NoNewPrivileges { get; init; }

    /// <summary>
    /// "none" when the sandbox has its own network namespace with no interfaces but loopback; "sinkhole"
    /// for analyze --network sinkhole (loopback only, every connection answered inside the guest).
    /// </summary>
    public string? Network { get; init; }

    public AppliedLimits? Limits { get; init; }

    /// <summary>Named volumes as handed to the engine: where, read-only or not, and by what means.</summary>
    public IReadOnlyList<AppliedVolume> Volumes { get; init; } = [];

    /// <summary>--init: the init that ran as the workload's PID 1 ("sandbox-init"); null when the workload itself was PID 1.</summary>
    public string? Init { get; init; }

    /// <summary>MicroVM only: the guest kernel booted (name and SHA-256 of the image).</summary>
    public string? Kernel { get; init; }

    public string? KernelSha256 { get; init; }

    /// <summary>MicroVM only: "kvm" or "emulation".</summary>
    public string? Accelerator { get; init; }

    /// <summary>
    /// MicroVM only: how the guest came up: "restored from template DIGEST", or "booted" with why no
    /// template was used, or that this run saved one (docs/templates.md).
    /// </summary>
    public string? Boot { get; init; }

    /// <summary>MicroVM only: how the VMM process itself was confined.</summary>
    public VmmConfinement? Vmm { get; init; }

    /// <summary>
    /// MicroVM only: what guest init said it handed its OCI runtime (runtime version and the SHA-256
    /// of the config.json, which the host checked against the one it sent); null when the guest never
    /// got that far.
    /// </summary>
    public string? GuestConfirmation { get; init; }
}

/// <summary>One volume mount: its target in the sandbox, whether writes are refused, and the mechanism.</summary>
public sealed record AppliedVolume(string Target, bool ReadOnly, string Mechanism);

/// <summary>The five Linux capability sets of the workload's first process.</summary>
public sealed record CapabilitySets(
    IReadOnlyList<string> Bounding,
    IReadOnlyList<string> Effective,
    IReadOnlyList<string> Inheritable,
    IReadOnlyList<string> Permitted,
    IReadOnlyList<string> Ambient);

/// <summary>One user-namespace ID mapping: container IDs [ContainerId, ContainerId+Size) are host IDs from HostId.</summary>
public sealed record IdMap(uint ContainerId, uint HostId, uint Size);

/// <summary>cgroup limits as written: memory bytes, CPU quota/period in microseconds, pids.</summary>
public sealed record AppliedLimits(long? MemoryBytes, long? CpuQuota, ulong? CpuPeriod, long? Pids);

/// <summary>The VMM's own jail (DESIGN invariant 5): host IDs, seccomp, namespaces, capabilities.</summary>
public sealed record VmmConfinement(
    uint? Uid,
    uint? Gid,
    bool Seccomp,
    IReadOnlyList<string> Namespaces,
    IReadOnlyList<string> Capabilities,
    string? Detail);
