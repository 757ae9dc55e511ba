using Sandbox.Host.Interop;

namespace Sandbox.Host.Mounts;

/// <summary>
/// Attaches a copy of a host directory (its own mount only, no submounts) at an empty directory:
/// not ID-mapped, so the sandbox acts on those files as an unprivileged stranger (its IDs own none of
/// them), always nosuid and nodev, read-only when asked. The path is opened refusing every symlink,
/// so one planted after policy approved the canonical path fails instead of redirecting the mount.
/// </summary>
public static class HostBind
{
    public static void Attach(string canonicalSource, string mountPoint, bool readOnly)
    {
        using var dir = OpenHow.DirectoryNoSymlinks(canonicalSource);
        using var tree = OpenTree.CloneOf(dir, canonicalSource);
        MountSetattr.Restrict(tree, readOnly, canonicalSource);
        MoveMount.Attach(tree, mountPoint);
    }
}
