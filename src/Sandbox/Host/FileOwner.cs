using System.Text;

namespace Sandbox.Host;

/// <summary>chown(2): hands a file the launcher created to an unprivileged sandbox ID.</summary>
public static class FileOwner
{
    public static void Set(string path, uint uid, uint gid)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        int rc;
        unsafe
        {
            // SAFETY: name is a NUL-terminated copy pinned for the duration of the call; chown only reads it.
            fixed (byte* p = name)
            {
                rc = Tmds.Linux.LibC.chown(p, uid, gid);
            }
        }

        if (rc != 0)
        {
            throw new IOException($"chown {uid}:{gid} {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
    }
}
