using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>move_mount(2): attaches a detached mount tree at a path.</summary>
internal static class MoveMount
{
    private const uint FromEmptyPath = 0x4; // MOVE_MOUNT_F_EMPTY_PATH
    private const int AtFdCwd = -100;

    public static void Attach(SafeFileHandle tree, string target)
    {
        byte empty = 0;
        byte[] t = Encoding.UTF8.GetBytes(target + "\0");
        ssize_t rc;
        unsafe
        {
            // SAFETY: the empty path is on this stack frame and t is pinned and NUL-terminated for the call.
            fixed (byte* tp = t)
            {
                rc = LibC.syscall(Syscall.MoveMount, (int)tree.DangerousGetHandle(), &empty, AtFdCwd, tp, FromEmptyPath);
            }
        }

        Syscall.Check(rc, "move_mount to", target);
    }
}
