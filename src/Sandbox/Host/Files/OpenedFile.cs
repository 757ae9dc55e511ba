using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Files;

/// <summary>
/// Opens a file for reading so that what it is can be judged before a byte is read: O_NONBLOCK (a
/// FIFO does not block the open), O_NOCTTY, and the type and size from fstat of what was opened.
/// </summary>
internal static unsafe class OpenedFile
{
    /// <returns>The descriptor with its type (S_IFMT bits) and size, or a null handle and the errno of the failed open or fstat.</returns>
    public static (SafeFileHandle? Handle, uint Type, long Size, int Errno) Open(string path, bool followLinks)
    {
        int fd;
        int flags = LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_NOCTTY | LibC.O_CLOEXEC | (followLinks ? 0 : LibC.O_NOFOLLOW);
        // SAFETY: the path bytes are pinned and NUL-terminated for the call.
        fixed (byte* p = Encoding.UTF8.GetBytes(path + "\0"))
        {
            fd = LibC.open(p, flags, 0);
        }

        if (fd < 0)
        {
            return (null, 0, 0, LibC.errno);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        stat st;
        // SAFETY: st is a local the kernel fills; fd is open.
        if (LibC.fstat(fd, &st) != 0)
        {
            int errno = LibC.errno;
            handle.Dispose();
            return (null, 0, 0, errno);
        }

        return (handle, (uint)st.st_mode & (uint)LibC.S_IFMT, st.st_size, 0);
    }

    /// <summary>At most <paramref name="count"/> bytes from <paramref name="file"/>, fewer only at its end (the array itself when full).</summary>
    public static byte[] ReadUpTo(Stream file, int count)
    {
        ArgumentNullException.ThrowIfNull(file);
        byte[] buffer = new byte[count];
        int n = file.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
        return n == count ? buffer : buffer[..n];
    }

    /// <summary>What a file of this type (S_IFMT bits) is, as a phrase: "is a directory", "is a FIFO (named pipe)", ...</summary>
    public static string Describe(uint type) =>
        type == (uint)LibC.S_IFDIR ? "is a directory"
        : type == (uint)LibC.S_IFCHR ? "is a character device"
        : type == (uint)LibC.S_IFBLK ? "is a block device"
        : type == (uint)LibC.S_IFIFO ? "is a FIFO (named pipe)"
        : type == (uint)LibC.S_IFSOCK ? "is a socket"
        : "is not a regular file";
}
