using Sandbox.Host.Files;

namespace Sandbox.Host.Probes;

/// <summary>Looks for overlay in /proc/filesystems (the image store stacks a writable layer with it).</summary>
public static class OverlayProbe
{
    public static OverlayResult Run() => Evaluate(ProcFiles.ReadText("/proc/filesystems"));

    internal static OverlayResult Evaluate(string? filesystems)
    {
        if (filesystems is null)
        {
            return new(false, "/proc/filesystems unreadable", "mount /proc");
        }

        // Lines are "nodev\toverlay" or "\text4": the name is the last tab-separated field.
        bool listed = filesystems.Split('\n').Any(line => line.Split('\t')[^1].Trim() == "overlay");
        return listed
            ? new(true, "listed in /proc/filesystems", null)
            : new(false, "not in /proc/filesystems (module not loaded?)", "modprobe overlay (kernel needs CONFIG_OVERLAY_FS)");
    }
}
