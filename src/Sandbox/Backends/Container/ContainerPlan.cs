using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>Everything the container backend needs to render an OCI bundle. Decided upstream; no policy here.</summary>
public sealed record ContainerPlan(
    string Id,
    string RootfsPath,
    IReadOnlyList<string> Args,
    IReadOnlyList<string> Env,
    string WorkingDir,
    uint Uid,
    uint Gid,
    IdRange Ids,
    string Hostname,
    ResourceLimits Limits,
    OciSeccomp Seccomp)
{
    /// <summary>Bind mounts beyond the standard set (the microVM backend's VMM jail uses them).</summary>
    public IReadOnlyList<OciMount> ExtraMounts { get; init; } = [];

    /// <summary>-t: a new pty inside the sandbox, this size; null for none.</summary>
    public Host.TerminalSize? Terminal { get; init; }

    /// <summary>Device cgroup allow rules after the deny-all (the VMM jail's /dev/kvm under KVM); none for containers.</summary>
    public IReadOnlyList<OciDeviceRule> AllowedDevices { get; init; } = [];

    /// <summary>
    /// Where the runtime finds the exec shim to bind at /dev/.sandbox-exec when an argument or
    /// environment entry is not UTF-8 (<see cref="Exec.ExecShim"/>); unused otherwise.
    /// </summary>
    public string? ExecShimSource { get; init; }

    /// <summary>--init: where the runtime finds sandbox-init to bind at /dev/.sandbox-init as PID 1 (<see cref="Init.SandboxInit"/>); null for none.</summary>
    public string? InitSource { get; init; }
}
