using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>umount2(2) with MNT_DETACH: the mount disappears from the tree even if something still uses it.</summary>
internal static class Unmount
{
    private const int MntDetach = 2;
    private const int Einval = 22;

    /// <summary>Detaches a mount; returns false when nothing was mounted there.</summary>
    public static bool Detach(string target)
    {
        byte[] t = System.Text.Encoding.UTF8.GetBytes(target + "\0");
        int rc;
        unsafe
        {
            // SAFETY: t is pinned and NUL-terminated for the duration of the call.
            fixed (byte* tp = t)
            {
                rc = LibC.umount2(tp, MntDetach);
            }
        }

        if (rc == 0)
        {
            return true;
        }

        if (LibC.errno == Einval)
        {
            return false;
        }

        throw new MountException($"umount {target}: {Errno.Describe(LibC.errno)}");
    }
}
