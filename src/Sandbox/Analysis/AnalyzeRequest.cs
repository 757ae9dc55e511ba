namespace Sandbox.Analysis;

/// <summary>What `sandbox analyze` was asked: the file and how to detonate it.</summary>
public sealed record AnalyzeRequest
{
    public const long DefaultOutputCap = 1L << 20;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public required string File { get; init; }

    /// <summary>--image; null: the built-in busybox image, which suits static ELF programs.</summary>
    public string? Image { get; init; }

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>--arg, in order: the sample's arguments after its own name.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>--network: none (the sample's own loopback only) or sinkhole (Analysis/Sinkhole: a fake network inside the guest).</summary>
    public string Network { get; init; } = "none";

    /// <summary>--out; null: ./analysis-SHA256PREFIX.</summary>
    public string? OutDir { get; init; }

    public string? Kernel { get; init; }

    public string? PolicyFile { get; init; }

    public long? MemoryBytes { get; init; }

    /// <summary>How much of stdout and of stderr is kept (each).</summary>
    public long OutputCap { get; init; } = DefaultOutputCap;
}
