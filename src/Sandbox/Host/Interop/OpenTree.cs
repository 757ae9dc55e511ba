using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>open_tree(2) with OPEN_TREE_CLONE: a detached copy of a mount tree, to be ID-mapped before attaching.</summary>
internal static class OpenTree
{
    private const uint OpenTreeClone = 1;
    private const uint OpenTreeCloexec = 0x80000; // O_CLOEXEC
    private const uint AtRecursive = 0x8000;
    private const int AtFdCwd = -100;
    private const uint AtEmptyPath = 0x1000;

    public static SafeFileHandle CloneDetached(string path)
    {
        Syscall.RequireX64();
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        ssize_t fd;
        unsafe
        {
            // SAFETY: p is pinned and NUL-terminated for the duration of the call.
            fixed (byte* pp = p)
            {
                fd = LibC.syscall(Syscall.OpenTree, AtFdCwd, pp, OpenTreeClone | OpenTreeCloexec | AtRecursive);
            }
        }

        Syscall.Check(fd, "open_tree", path);
        return new SafeFileHandle(checked((IntPtr)(long)fd), ownsHandle: true);
    }

    /// <summary>A detached copy of the mount at an open directory, without its submounts.</summary>
    public static SafeFileHandle CloneOf(SafeFileHandle dir, string what)
    {
        Syscall.RequireX64();
        byte empty = 0;
        ssize_t fd;
        unsafe
        {
            // SAFETY: the empty path lives on this stack frame; the caller holds dir open.
            fd = LibC.syscall(Syscall.OpenTree, (int)dir.DangerousGetHandle(), &empty, OpenTreeClone | OpenTreeCloexec | AtEmptyPath);
        }

        Syscall.Check(fd, "open_tree", what);
        return new SafeFileHandle(checked((IntPtr)(long)fd), ownsHandle: true);
    }
}
