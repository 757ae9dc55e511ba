using Microsoft.Win32.SafeHandles;
using Sandbox.Host.Interop;

namespace Sandbox.Host.Mounts;

/// <summary>
/// Attaches a copy of a host directory's mount tree at an empty directory, with its owners shifted
/// through a user namespace (on-disk ID k appears as the namespace's host ID for k), and read-only
/// when asked. The source is never mounted over or changed; the copy goes away with its mount point
/// (<see cref="SafeRemove"/>).
/// </summary>
public static class IdMappedBind
{
    public static void Attach(string source, string mountPoint, SafeFileHandle userns, bool readOnly)
    {
        using var tree = OpenTree.CloneDetached(source);
        MountSetattr.Idmap(tree, userns, readOnly, source);
        MoveMount.Attach(tree, mountPoint);
    }
}
