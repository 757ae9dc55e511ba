namespace Sandbox.Policy;

/// <summary>Resource ceilings for one sandbox. Every field is always set: there is no "unlimited".</summary>
public sealed record ResourceLimits(long MemoryBytes, long PidsLimit, double Cpus, long TmpfsBytes, ulong OpenFiles)
{
    /// <summary>How long a run may last when --timeout does not say less: the sandbox is then killed (exit 137).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The size of a named volume an untrusted run creates, and the largest one it may write: an
    /// untrusted sandbox writes only to sized volumes, so it can never fill the host's disk.
    /// </summary>
    public long VolumeBytes { get; init; } = 1L << 30;

    public static ResourceLimits Default { get; } = new(
        MemoryBytes: 512L << 20, PidsLimit: 256, Cpus: 1.0, TmpfsBytes: 64L << 20, OpenFiles: 1024);
}
