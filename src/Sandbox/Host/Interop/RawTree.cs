using System.Text;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>
/// Deletes a directory tree by its names' bytes (getdents64, unlinkat): .NET lists names as UTF-8
/// text, so a file a sandbox named with other bytes (its right: names are bytes) cannot be deleted
/// through it. Never follows a symlink; mounts below must already be detached.
/// </summary>
internal static unsafe class RawTree
{
    private const int GetDents64 = 217;
    private static readonly int DirFlags = LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;

    public static void Delete(string dir)
    {
        string full = Path.GetFullPath(dir).TrimEnd('/');
        string parent = Path.GetDirectoryName(full) ?? throw new IOException($"will not delete {full}");
        int parentFd = Open(LibC.AT_FDCWD, Terminated(Encoding.UTF8.GetBytes(parent)), parent);
        try
        {
            DeleteIn(parentFd, Terminated(ByteString.Encode(Path.GetFileName(full))), full);
        }
        finally
        {
            _ = LibC.close(parentFd);
        }
    }

    private static void DeleteIn(int parentFd, byte[] name, string shown)
    {
        int fd;
        fixed (byte* p = name)
        {
            fd = LibC.openat(parentFd, p, DirFlags, 0);
        }

        if (fd < 0)
        {
            Unlink(parentFd, name, 0, shown); // not a directory (or a symlink to one): the name itself goes
            return;
        }

        try
        {
            foreach (byte[] child in Names(fd, shown))
            {
                byte[] c = Terminated(child);
                string childShown = shown + "/" + ByteString.Display(ByteString.Decode(child));
                fixed (byte* p = c)
                {
                    if (LibC.unlinkat(fd, p, 0) == 0)
                    {
                        continue;
                    }
                }

                if (LibC.errno != LibC.EISDIR)
                {
                    throw new IOException($"unlink {childShown}: {Errno.Describe(LibC.errno)}");
                }

                DeleteIn(fd, c, childShown);
            }
        }
        finally
        {
            _ = LibC.close(fd);
        }

        Unlink(parentFd, name, LibC.AT_REMOVEDIR, shown);
    }

    /// <summary>The names in an open directory, as bytes, without "." and "..".</summary>
    private static List<byte[]> Names(int fd, string shown)
    {
        var names = new List<byte[]>();
        byte[] buffer = new byte[32 * 1024];
        fixed (byte* b = buffer)
        {
            while (true)
            {
                long n = (long)LibC.syscall(GetDents64, fd, b, buffer.Length);
                if (n < 0)
                {
                    throw new IOException($"list {shown}: {Errno.Describe(LibC.errno)}");
                }

                if (n == 0)
                {
                    return names;
                }

                // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[] (NUL-terminated).
                for (long off = 0; off < n; off += *(ushort*)(b + off + 16))
                {
                    var name = new ReadOnlySpan<byte>(b + off + 19, *(ushort*)(b + off + 16) - 19);
                    name = name[..name.IndexOf((byte)0)];
                    if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8))
                    {
                        names.Add(name.ToArray());
                    }
                }
            }
        }
    }

    private static void Unlink(int dirFd, byte[] name, int flags, string shown)
    {
        fixed (byte* p = name)
        {
            if (LibC.unlinkat(dirFd, p, flags) != 0)
            {
                throw new IOException($"remove {shown}: {Errno.Describe(LibC.errno)}");
            }
        }
    }

    private static int Open(int dirFd, byte[] path, string shown)
    {
        fixed (byte* p = path)
        {
            int fd = LibC.openat(dirFd, p, DirFlags, 0);
            return fd >= 0 ? fd : throw new IOException($"open {shown}: {Errno.Describe(LibC.errno)}");
        }
    }

    private static byte[] Terminated(byte[] bytes) => [.. bytes, 0];
}
