using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;
using Sandbox.Host.Interop;

namespace Sandbox.Host.Files;

/// <summary>
/// Reads a file the launcher gets back from a bundle or a jail (a runtime's log, anything a
/// sandboxed or jailed process could have replaced) without trusting what is at the name: opened
/// below its directory with O_NOFOLLOW|O_NONBLOCK (a symlink is not followed, a FIFO does not
/// block), used only if fstat says it is a regular file of the expected owner, and read only up
/// to a bound, from its start or its end.
/// </summary>
public static unsafe class BundleFile
{
    /// <summary>Why a file was not read; null when it was (or does not exist).</summary>
    public sealed record Result(byte[]? Content, string? Refused);

    public static Result Read(string path, uint owner, int maxBytes, bool tail = false)
    {
        string dir = Path.GetDirectoryName(path) ?? "/";
        string name = Path.GetFileName(path);
        int dirFd = OpenDirectory(dir);
        if (dirFd < 0)
        {
            return new(null, errno == ENOENT ? null : $"{dir}: {Errno.Describe(errno)}");
        }

        int fd, openError = 0;
        try
        {
            // SAFETY: the name is a pinned NUL-terminated copy for the call.
            fixed (byte* p = Utf8(name))
            {
                fd = openat(dirFd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
                openError = fd < 0 ? errno : 0; // before close() can change errno
            }
        }
        finally
        {
            _ = close(dirFd);
        }

        if (fd < 0)
        {
            int e = openError;
            return new(null, e == ENOENT ? null : e == ELOOP ? $"{path} is a symbolic link" : $"{path}: {Errno.Describe(e)}");
        }

        try
        {
            stat st;
            // SAFETY: st is a local the kernel fills; fd is open.
            if (fstat(fd, &st) != 0)
            {
                return new(null, $"{path}: {Errno.Describe(errno)}");
            }

            if ((st.st_mode & S_IFMT) != S_IFREG)
            {
                return new(null, $"{path} is not a regular file");
            }

            if (st.st_uid != owner)
            {
                return new(null, $"{path} is owned by uid {st.st_uid}, not {owner}");
            }

            long size = st.st_size;
            long start = tail ? Math.Max(0, size - maxBytes) : 0;
            var buffer = new byte[(int)Math.Min(maxBytes, size - start)];
            int done = 0;
            while (done < buffer.Length)
            {
                ssize_t n;
                // SAFETY: the buffer is pinned and has buffer.Length - done bytes left at offset done.
                fixed (byte* b = buffer)
                {
                    n = pread(fd, b + done, buffer.Length - done, start + done);
                }

                if (n < 0 && errno == EINTR)
                {
                    continue;
                }

                if (n <= 0)
                {
                    break; // it shrank, or an error: what was read counts
                }

                done += (int)n;
            }

            return new(buffer[..done], null);
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static int OpenDirectory(string dir)
    {
        // SAFETY: as above.
        fixed (byte* p = Utf8(dir))
        {
            return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        }
    }

    private static byte[] Utf8(string s) => [.. Encoding.UTF8.GetBytes(s), 0];
}
