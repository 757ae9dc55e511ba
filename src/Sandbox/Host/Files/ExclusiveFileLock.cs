using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Host.Interop;
using Sandbox.Runtime;
using Tmds.Linux;

namespace Sandbox.Host.Files;

/// <summary>
/// A blocking, exclusive flock on a lock file (created if missing), released on dispose or when the
/// holder dies. Opened with open(2) directly: a .NET FileStream takes a non-blocking flock of its own
/// when it opens, and would fail instead of waiting while another process holds the lock.
/// </summary>
internal sealed class ExclusiveFileLock : IDisposable
{
    private int _fd;

    private ExclusiveFileLock(int fd) => _fd = fd;

    public static unsafe ExclusiveFileLock Take(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        // SAFETY: the path is pinned and NUL-terminated for the call.
        fixed (byte* p = bytes)
        {
            fd = LibC.open(p, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0b110_000_000);
        }

        if (fd < 0)
        {
            throw new SandboxException(ErrorKind.StateConflict, $"cannot open the lock file {path}: {Errno.Describe(LibC.errno)}");
        }

        while (FileLock.Flock(fd, FileLock.Exclusive) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                _ = LibC.close(fd);
                throw new SandboxException(ErrorKind.StateConflict, $"cannot lock {path}: {Errno.Describe(errno)}");
            }
        }

        return new ExclusiveFileLock(fd);
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = LibC.close(_fd); // closing releases the flock
            _fd = -1;
        }
    }
}
