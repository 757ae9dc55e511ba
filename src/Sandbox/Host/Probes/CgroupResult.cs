namespace Sandbox.Host.Probes;

/// <summary>How cgroups are mounted at /sys/fs/cgroup.</summary>
public enum CgroupMode
{
    /// <summary>Nothing usable is mounted there (or it could not be inspected).</summary>
    Unavailable,
    /// <summary>cgroup v2 only: /sys/fs/cgroup is a cgroup2 file system.</summary>
    Unified,
    /// <summary>v1 controllers on a tmpfs, plus a cgroup2 mount at /sys/fs/cgroup/unified.</summary>
    Hybrid,
    /// <summary>v1 controllers only.</summary>
    Legacy,
}

/// <summary>The cgroup check. crun refuses <see cref="CgroupMode.Hybrid"/>; runc handles every mode.</summary>
public sealed record CgroupResult(bool Ok, string Detail, string? Remedy, CgroupMode Mode);
