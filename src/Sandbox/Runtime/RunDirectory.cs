using Sandbox.Host.Files;

namespace Sandbox.Runtime;

/// <summary>
/// A sandbox's run directory (run/ID): its bundle, and the mount points of its image, overlay and
/// volume binds. Mode 0710, owner root, group the sandbox's root host ID: root writes it, the
/// sandbox's mapped root (the OCI runtime's init, or the jailed VMM) may pass through it to its
/// binds, and every other host user gets EACCES, so a running sandbox's image and volumes cannot
/// be read through it (the run ID is no secret: it is in the runtime's argv).
/// </summary>
public static class RunDirectory
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute;

    public static string Create(StateRoot root, string id, IdRange ids)
    {
        string runs = root.Ensure(root.Runs, traversable: true); // 0711: lists nothing, lets each sandbox reach its own
        string dir = Path.Combine(runs, id);
        Directory.CreateDirectory(dir, Mode);
        FileOwner.Set(dir, 0, ids.HostStart);
        File.SetUnixFileMode(dir, Mode); // after chown, and whatever the umask did
        return dir;
    }
}
