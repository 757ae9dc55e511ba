using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>
/// openat2(2): opens a path only if no component of it is a symlink (RESOLVE_NO_SYMLINKS), or
/// resolves it as if the directory were the root, with no "magic" /proc links (RESOLVE_IN_ROOT |
/// RESOLVE_NO_MAGICLINKS): the kernel, not the caller, keeps ".." and absolute links inside.
/// </summary>
internal static class OpenHow
{
    private const int OpenAt2 = 437;
    private const ulong OPath = 0x200000;
    private const ulong ODirectory = 0x10000;
    private const ulong OCloexec = 0x80000;
    private const ulong ResolveNoMagicLinks = 0x02;
    private const ulong ResolveNoSymlinks = 0x04;
    private const ulong ResolveInRoot = 0x10;
    private const int AtFdCwd = -100;

    // struct open_how (OPEN_HOW_SIZE_VER0 = 24 bytes).
    [StructLayout(LayoutKind.Sequential)]
    private struct How
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    public static SafeFileHandle DirectoryNoSymlinks(string path) =>
        Open(AtFdCwd, path, OPath | ODirectory | OCloexec, ResolveNoSymlinks, "openat2 (no symlinks)");

    /// <summary>An O_PATH handle on a trusted host directory (symlinks resolved as usual).</summary>
    public static SafeFileHandle Directory(string path) => Open(AtFdCwd, path, OPath | ODirectory | OCloexec, 0, "openat2");

    /// <summary>An O_PATH handle on the directory <paramref name="path"/> as seen with <paramref name="root"/> as "/".</summary>
    public static SafeFileHandle DirectoryInRoot(SafeFileHandle root, string path)
    {
        bool added = false;
        root.DangerousAddRef(ref added);
        try
        {
            return Open((int)root.DangerousGetHandle(), path, OPath | ODirectory | OCloexec, ResolveInRoot | ResolveNoMagicLinks, "openat2 (in root)");
        }
        finally
        {
            if (added)
            {
                root.DangerousRelease();
            }
        }
    }

    private static SafeFileHandle Open(int dirFd, string path, ulong flags, ulong resolve, string what)
    {
        Syscall.RequireX64();
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        var how = new How { Flags = flags, Resolve = resolve };
        ssize_t fd;
        unsafe
        {
            // SAFETY: p and how are pinned/on the stack for the duration of the call; the kernel reads sizeof(How) bytes.
            fixed (byte* pp = p)
            {
                fd = LibC.syscall(OpenAt2, dirFd, pp, &how, (uint)sizeof(How));
            }
        }

        Syscall.Check(fd, what, path);
        return new SafeFileHandle(checked((IntPtr)(long)fd), ownsHandle: true);
    }
}
