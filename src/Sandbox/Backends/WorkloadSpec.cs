using Sandbox.Backends.Container;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Volumes;

namespace Sandbox.Backends;

/// <summary>
/// One workload as policy decided it, in terms every backend understands: what runs (command, env,
/// user, cwd, hostname), on which image, with which mounts, limits and hardening. No policy file,
/// no flags: a backend applies this and nothing else, and never re-decides or re-probes.
/// </summary>
public sealed record WorkloadSpec(
    string Id, Image Image, IReadOnlyList<string> Args, IReadOnlyList<string> Env, string Cwd, uint Uid, uint Gid,
    string Hostname, ResourceLimits Limits)
{
    /// <summary>Host directories mounted into the sandbox: named volumes (held by the launcher for the run) and granted binds.</summary>
    public IReadOnlyList<VolumeBind> Mounts { get; init; } = [];

    /// <summary>The workload's seccomp filter, and the name of the profile it was emitted from (for the audit).</summary>
    public required OciSeccomp Seccomp { get; init; }

    public required string SeccompProfile { get; init; }

    /// <summary>-t: the workload gets a pty of its own, this size; null for none.</summary>
    public Host.TerminalSize? Terminal { get; init; }

    /// <summary>--init: sandbox-init runs as PID 1, forwarding signals and reaping zombies.</summary>
    public bool Init { get; init; }

    /// <summary>--runtime: the OCI runtime asked for; null lets the host choose (crun when its trial passes).</summary>
    public string? Runtime { get; init; }

    /// <summary>The workload's own time (--timeout or the policy's); null for none.</summary>
    public TimeSpan? Timeout => Limits.Timeout;

    /// <summary>What set <see cref="Timeout"/>, as the timeout message names it.</summary>
    public string TimeoutSource { get; init; } = "--timeout";

    /// <summary>The rule that decided, for refusals.</summary>
    public string DecidedBy { get; init; } = "the policy";

    /// <summary>MicroVM: the decided guest kernel (null for the catalog's default).</summary>
    public string? Kernel { get; init; }

    /// <summary>MicroVM: the accelerator the decision found on the host (not probed again).</summary>
    public Accelerator Accelerator { get; init; } = Accelerator.None;

    /// <summary>MicroVM: whether the decision accepts TCG emulation.</summary>
    public bool AllowEmulation { get; init; }

    /// <summary>MicroVM only: the guest may be restored from a pre-booted VM template (policy decide.templates; docs/templates.md).</summary>
    public bool Templates { get; init; }

    /// <summary>
    /// sandbox analyze (microVM only): where the guest collector's report (a tar) is written; null for
    /// a run. The guest then traces the workload, keeps its writes in the overlay, and a timeout is an outcome.
    /// </summary>
    public string? ReportPath { get; init; }

    /// <summary>
    /// sandbox analyze --network sinkhole (with <see cref="ReportPath"/>): the workload joins the network
    /// namespace of the guest's sinkhole helper, where every TCP connection and DNS question is answered.
    /// </summary>
    public bool Sinkhole { get; init; }
}
