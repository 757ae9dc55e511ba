using System.Text;
using Sandbox.Host.Interop;

namespace Sandbox.Host.Files;

/// <summary>stat(2) or lstat(2) of a path, whole; an IOException naming the path when it fails.</summary>
internal static class PathStat
{
    public static Tmds.Linux.stat Of(string path, bool followLinks)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        Tmds.Linux.stat st;
        int rc;
        unsafe
        {
            // SAFETY: name is pinned and NUL-terminated; st is a local the kernel fills.
            fixed (byte* p = name)
            {
                rc = followLinks ? Tmds.Linux.LibC.stat(p, &st) : Tmds.Linux.LibC.lstat(p, &st);
            }
        }

        return rc == 0 ? st : throw new IOException($"{(followLinks ? "stat" : "lstat")} {path}: {Errno.Describe(Tmds.Linux.LibC.errno)}");
    }
}
