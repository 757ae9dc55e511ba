using System.Text;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>mount(2), for the per-sandbox overlay root filesystem.</summary>
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
}
