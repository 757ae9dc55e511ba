namespace Sandbox.Images.Extraction;

/// <summary>
/// Bounds on what one image may unpack to. A layer may also decompress to at most
/// <see cref="MaxRatio"/> times its compressed size (once past <see cref="RatioFloorBytes"/>), so a
/// gzip bomb fails on its first oversized tar header instead of after filling the disk.
/// </summary>
public sealed record ExtractionLimits
{
    public static readonly ExtractionLimits Default = new();

    public long MaxTotalBytes { get; init; } = 16L << 30;
    public long MaxEntries { get; init; } = 1_000_000;
    public int MaxNameLength { get; init; } = 255;
    public int MaxPathLength { get; init; } = 4096;
    public int MaxDepth { get; init; } = 128;
    public long MaxRatio { get; init; } = 100;
    public long RatioFloorBytes { get; init; } = 64L << 20;

    /// <summary>What one layer of <paramref name="compressedSize"/> bytes may decompress to, given what is left.</summary>
    public long LayerBudget(long compressedSize, long remaining)
    {
        long byRatio = compressedSize > long.MaxValue / MaxRatio ? long.MaxValue : compressedSize * MaxRatio;
        return Math.Min(remaining, Math.Max(RatioFloorBytes, byRatio));
    }
}
