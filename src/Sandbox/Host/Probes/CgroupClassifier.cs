namespace Sandbox.Host.Probes;

/// <summary>Pure classification of the cgroup layout from statfs magic numbers (kernel include/uapi/linux/magic.h).</summary>
public static class CgroupClassifier
{
    public const long Cgroup2SuperMagic = 0x63677270;
    public const long CgroupSuperMagic = 0x0027e0eb;
    public const long TmpfsMagic = 0x01021994;
    public const long SysfsMagic = 0x62656572;

    /// <param name="rootMagic">f_type of /sys/fs/cgroup, or null if statfs failed.</param>
    /// <param name="unifiedMagic">f_type of /sys/fs/cgroup/unified, or null if it is absent.</param>
    public static CgroupMode Classify(long? rootMagic, long? unifiedMagic) => rootMagic switch
    {
        null => CgroupMode.Unavailable,
        Cgroup2SuperMagic => CgroupMode.Unified,
        TmpfsMagic when unifiedMagic == Cgroup2SuperMagic => CgroupMode.Hybrid,
        // /sys/fs/cgroup is only the sysfs directory: nothing is mounted on it.
        SysfsMagic => CgroupMode.Unavailable,
        _ => CgroupMode.Legacy,
    };
}
