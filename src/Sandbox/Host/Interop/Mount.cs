using System.Text;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>mount(2): the per-sandbox overlay root filesystem, and plain bind mounts (pinning a namespace file).</summary>
internal static class Mount
{
    public static void Overlay(string lower, string upper, string work, string target)
    {
        Syscall.RequireX64();
        // index=off, xino=off: plain directories, nothing the kernel must persist across mounts.
        string options = $"lowerdir={lower},upperdir={upper},workdir={work},index=off,xino=off";
        byte[] source = Encoding.UTF8.GetBytes("overlay\0");
        byte[] type = Encoding.UTF8.GetBytes("overlay\0");
        byte[] dir = Encoding.UTF8.GetBytes(target + "\0");
        byte[] data = Encoding.UTF8.GetBytes(options + "\0");
        const uint Flags = 0x2 | 0x4; // MS_NOSUID | MS_NODEV
        unsafe
        {
            // SAFETY: every buffer is pinned for the call and NUL-terminated; the kernel only reads them.
            fixed (byte* s = source, t = type, d = dir, o = data)
            {
                ssize_t rc = LibC.syscall(Syscall.Mount, s, d, t, Flags, o);
                Syscall.Check(rc, "mount overlay on", target);
            }
        }
    }

    public static void Bind(string source, string target)
    {
        Syscall.RequireX64();
        byte[] s = Encoding.UTF8.GetBytes(source + "\0");
        byte[] t = Encoding.UTF8.GetBytes(target + "\0");
        const uint MsBind = 0x1000;
        unsafe
        {
            // SAFETY: both paths are pinned and NUL-terminated for the call; no type or data is passed.
            fixed (byte* sp = s, tp = t)
            {
                ssize_t rc = LibC.syscall(Syscall.Mount, sp, tp, null, MsBind, null);
                Syscall.Check(rc, $"bind mount {source} on", target);
            }
        }
    }
}
