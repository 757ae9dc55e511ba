using System.Collections.Immutable;

namespace Sandbox.Policy;

/// <summary>
/// Everything policy rules can match on: what the user asked for and what is known about the image.
/// Built by the launcher from a run request and the resolved image; immutable.
/// </summary>
public sealed record WorkloadFacts
{
    /// <summary>An image label asking for a guest kernel, e.g. sandbox.kernel=debian-5.10.</summary>
    public const string KernelLabel = "sandbox.kernel";

    public TrustLevel Trust { get; init; } = TrustLevel.Untrusted;
    public BackendKind RequestedBackend { get; init; } = BackendKind.Auto;
    public required string ImageReference { get; init; }
    public string? ImageDigest { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<string> Command { get; init; } = [];
    public ImmutableArray<string> Capabilities { get; init; } = [];
    public ImmutableArray<string> Devices { get; init; } = [];

    /// <summary>Named volumes asked for with -v NAME:/path.</summary>
    public ImmutableArray<string> Volumes { get; init; } = [];

    /// <summary>Each -v NAME:/path[:ro] with what the volume store says about the volume at decision time.</summary>
    public ImmutableArray<VolumeRequest> VolumeRequests { get; init; } = [];

    /// <summary>Host paths asked for with -v /host/path:/path.</summary>
    public ImmutableArray<string> Binds { get; init; } = [];

    /// <summary>The canonical host directory given as the image (`run ./rootfs`); null for store and built-in images.</summary>
    public string? PathImage { get; init; }

    public string Network { get; init; } = "none";
    public long? MemoryBytes { get; init; }
    public double? Cpus { get; init; }
    public long? PidsLimit { get; init; }

    /// <summary>--timeout when given; it may only shorten the rule's timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>--seccomp-profile when given; null lets the rule choose.</summary>
    public string? SeccompProfile { get; init; }

    /// <summary>--kernel when given.</summary>
    public string? Kernel { get; init; }

    /// <summary>The kernel the workload asks for: --kernel, else the image's sandbox.kernel label.</summary>
    public string? RequestedKernel => Kernel ?? Labels.GetValueOrDefault(KernelLabel);
}

/// <summary>
/// One named volume mount as policy sees it. <paramref name="WrittenByUntrusted"/> is the volume's taint:
/// an untrusted sandbox has had it read-write (a volume that does not exist yet is untainted).
/// </summary>
public sealed record VolumeRequest(string Name, string Target, bool ReadOnly, bool WrittenByUntrusted)
{
    public override string ToString() => $"{Name}:{Target} ({(ReadOnly ? "ro" : "rw")})";
}
