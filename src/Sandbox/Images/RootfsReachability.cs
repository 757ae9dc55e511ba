using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>
/// A sandbox's root is an unprivileged host ID, so every directory above the mount point of its root
/// filesystem (the ID-mapped bind under its run directory) must be searchable by "others". Checked
/// up front, because the OCI runtime's own error ("mount ...: permission denied") does not say
/// which directory is at fault.
/// </summary>
public static class RootfsReachability
{
    public static void Check(string rootfs)
    {
        for (var dir = new DirectoryInfo(rootfs); dir is not null; dir = dir.Parent)
        {
            if ((dir.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                throw new SandboxException(ErrorKind.ImageNotFound,
                    $"the sandbox cannot reach its root filesystem {rootfs}: {dir.FullName} is not searchable by others (mode {Convert.ToString((int)dir.UnixFileMode, 8)})",
                    $"chmod o+x {dir.FullName}, or use a --root whose parent directories are searchable");
            }
        }
    }
}
