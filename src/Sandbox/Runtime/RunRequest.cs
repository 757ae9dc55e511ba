using Sandbox.Policy;

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
    public string SeccompProfile { get; init; } = "default";
    public string? Runtime { get; init; }
    public string? Name { get; init; }
}
