namespace Sandbox.Policy;

/// <summary>Resource ceilings for one sandbox. Every field is always set: there is no "unlimited".</summary>
public sealed record ResourceLimits(long MemoryBytes, long PidsLimit, double Cpus, long TmpfsBytes, ulong OpenFiles)
{
    public static ResourceLimits Default { get; } = new(
        MemoryBytes: 512L << 20, PidsLimit: 256, Cpus: 1.0, TmpfsBytes: 64L << 20, OpenFiles: 1024);
}
