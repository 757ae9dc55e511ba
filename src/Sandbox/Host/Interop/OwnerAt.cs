using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>fstatat(2) without following links: the owner of a name below a directory descriptor, as the caller sees it.</summary>
internal static class OwnerAt
{
    public static (uint Uid, uint Gid) Get(SafeFileHandle dir, string name)
    {
        byte[] n = Encoding.UTF8.GetBytes(name + "\0");
        stat st;
        int rc;
        unsafe
        {
            // SAFETY: n is pinned and NUL-terminated; st is a local the kernel fills; dir stays open (caller holds it).
            fixed (byte* p = n)
            {
                rc = LibC.fstatat((int)dir.DangerousGetHandle(), p, &st, LibC.AT_SYMLINK_NOFOLLOW);
            }
        }

        return rc == 0 ? ((uint)st.st_uid, (uint)st.st_gid) : throw new MountException($"stat {name}: {Errno.Describe(LibC.errno)}");
    }
}
