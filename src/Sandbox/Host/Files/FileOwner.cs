using System.Text;
using Sandbox.Host.Interop;

namespace Sandbox.Host.Files;

/// <summary>chown(2): hands a file the launcher created to an unprivileged sandbox ID; lstat(2) reads an owner back.</summary>
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

    /// <summary>The owner of a path, not following a final symlink.</summary>
    public static (uint Uid, uint Gid) Get(string path)
    {
        var (uid, gid, _) = GetWithKind(path);
        return (uid, gid);
    }

    /// <summary>The owner of a path and whether it is a regular file (not a link, directory, device, FIFO or socket), not following a final symlink.</summary>
    public static (uint Uid, uint Gid, bool Regular) GetWithKind(string path)
    {
        Tmds.Linux.stat st = PathStat.Of(path, followLinks: false);
        const uint TypeMask = 0xF000, RegularType = 0x8000; // S_IFMT, S_IFREG
        return ((uint)st.st_uid, (uint)st.st_gid, ((uint)st.st_mode & TypeMask) == RegularType);
    }
}
