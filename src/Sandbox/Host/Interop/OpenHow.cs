using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>openat2(2) with RESOLVE_NO_SYMLINKS: opens a path only if no component of it is a symlink.</summary>
internal static class OpenHow
{
    private const int OpenAt2 = 437;
    private const ulong OPath = 0x200000;
    private const ulong ODirectory = 0x10000;
    private const ulong OCloexec = 0x80000;
    private const ulong ResolveNoSymlinks = 0x04;
    private const int AtFdCwd = -100;

    // struct open_how (OPEN_HOW_SIZE_VER0 = 24 bytes).
    [StructLayout(LayoutKind.Sequential)]
    private struct How
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    public static SafeFileHandle DirectoryNoSymlinks(string path)
    {
        Syscall.RequireX64();
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        var how = new How { Flags = OPath | ODirectory | OCloexec, Resolve = ResolveNoSymlinks };
        ssize_t fd;
        unsafe
        {
            // SAFETY: p and how are pinned/on the stack for the duration of the call; the kernel reads sizeof(How) bytes.
            fixed (byte* pp = p)
            {
                fd = LibC.syscall(OpenAt2, AtFdCwd, pp, &how, (uint)sizeof(How));
            }
        }

        Syscall.Check(fd, "openat2 (no symlinks)", path);
        return new SafeFileHandle(checked((IntPtr)(long)fd), ownsHandle: true);
    }
}
