using Sandbox.Host.Files;

namespace Sandbox.Host.Probes;

/// <summary>Reads the statfs magic of /sys/fs/cgroup (and /sys/fs/cgroup/unified) and classifies the layout.</summary>
public static class CgroupProbe
{
    public const string Root = "/sys/fs/cgroup";

    public static CgroupResult Run()
    {
        long? rootMagic = StatFs.Magic(Root, out string? rootError);
        long? unifiedMagic = rootMagic is null ? null : StatFs.Magic(Root + "/unified", out _);
        CgroupMode mode = CgroupClassifier.Classify(rootMagic, unifiedMagic);
        return Describe(mode, rootMagic, rootError);
    }

    internal static CgroupResult Describe(CgroupMode mode, long? rootMagic, string? rootError) => mode switch
    {
        CgroupMode.Unified => new(true, "unified (cgroup v2 only)", null, mode),
        CgroupMode.Hybrid => new(
            true,
            "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified); crun refuses this mode, runc works",
            null,
            mode),
        CgroupMode.Legacy => new(true, $"legacy (cgroup v1; {Root} has f_type 0x{rootMagic:x})", null, mode),
        _ => new(
            false,
            rootError ?? $"nothing is mounted on {Root}",
            $"mount cgroup2: mount -t cgroup2 cgroup2 {Root}",
            mode),
    };
}
