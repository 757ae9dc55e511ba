using Sandbox.Policy;
using Sandbox.Volumes;

namespace Sandbox.Runtime;

/// <summary>What the user asked `sandbox run` for, validated for form but not yet decided on.</summary>
public sealed record RunRequest
{
    public required string Image { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];
    public TrustLevel Trust { get; init; } = TrustLevel.Untrusted;
    public BackendKind Backend { get; init; } = BackendKind.Auto;
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? WorkingDir { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    /// <summary>True when -u was given; otherwise the image's User applies.</summary>
    public bool UserSet { get; init; }
    public long? MemoryBytes { get; init; }
    public double? Cpus { get; init; }
    public long? PidsLimit { get; init; }
    public TimeSpan? Timeout { get; init; }

    /// <summary>--seccomp-profile; null lets the deciding policy rule choose.</summary>
    public string? SeccompProfile { get; init; }

    public string? Runtime { get; init; }
    public string? Name { get; init; }

    /// <summary>The sandbox ID a detached run chose before its supervisor started; null draws a new one.</summary>
    public string? Id { get; init; }

    /// <summary>-v specs: NAME:/path[:ro] (a named volume) or /host/path:/path[:ro] (a bind mount).</summary>
    public IReadOnlyList<VolumeSpec> Volumes { get; init; } = [];

    /// <summary>--kernel: a guest kernel name.</summary>
    public string? Kernel { get; init; }

    /// <summary>--network; "none" is the only mode.</summary>
    public string Network { get; init; } = "none";

    /// <summary>--policy FILE; null means the built-in policy.</summary>
    public string? PolicyFile { get; init; }

    /// <summary>--hostname: the sandbox's hostname (its own UTS namespace); null for "sandbox".</summary>
    public string? Hostname { get; init; }

    /// <summary>-i: stdin reaches the workload even when it is a terminal.</summary>
    public bool Interactive { get; init; }

    /// <summary>-t: the workload gets a terminal (a pty in the sandbox).</summary>
    public bool Terminal { get; init; }

    /// <summary>--init: a minimal init is PID 1, forwarding signals to the workload and reaping zombies.</summary>
    public bool Init { get; init; }
}
