namespace Sandbox.State;

/// <summary>Where a sandbox is, as the state database records it.</summary>
public enum SandboxStatus
{
    Created,
    Running,
    Restarting,
    Exited,
}

/// <summary>One sandbox's row: identity, what decided it, and its lifecycle so far. Times are UTC.</summary>
public sealed record SandboxRecord(string Id, string Name, string Image, string Backend)
{
    public string? ImageDigest { get; init; }

    /// <summary>sha256 of the decision and of the policy that made it (the audit trail has both in full).</summary>
    public string? DecisionDigest { get; init; }

    public string? PolicyDigest { get; init; }

    public SandboxStatus Status { get; init; } = SandboxStatus.Created;

    /// <summary>The supervisor's PID while it lives; null once it has gone.</summary>
    public int? SupervisorPid { get; init; }

    public int? ExitCode { get; init; }

    public int RestartCount { get; init; }

    public DateTime Created { get; init; }

    public DateTime? Started { get; init; }

    public DateTime? Finished { get; init; }
}
