using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Runtime;
using Tmds.Linux;

namespace Sandbox.Images.Store;

/// <summary>
/// A flock on the store's lock file. Importers hold it shared for their whole run; `rm` and garbage
/// collection hold it exclusive, so a blob being imported is never collected before it is referenced.
/// The kernel drops the lock when its holder dies (kill -9 included).
/// </summary>
internal sealed partial class StoreLock : IDisposable
{
    private const int LockShared = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    private int _fd;

    private StoreLock(int fd) => _fd = fd;

    public static StoreLock Shared(string path) => Take(path, LockShared);

    public static StoreLock Exclusive(string path) => Take(path, LockExclusive);

    /// <summary>Exclusive if nobody else holds the lock right now, else null (used for opportunistic clean-up).</summary>
    public static StoreLock? TryExclusive(string path)
    {
        int fd = OpenLockFile(path);
        if (flock(fd, LockExclusive | LockNonBlocking) == 0)
        {
            return new StoreLock(fd);
        }

        _ = LibC.close(fd); // only a read-write descriptor of an empty lock file: nothing to report
        return null;
    }

    /// <summary>Turns a held exclusive lock into a shared one.</summary>
    public void Downgrade() => _ = flock(_fd, LockShared);

    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = LibC.close(_fd); // closing releases the flock
            _fd = -1;
        }
    }

    private static StoreLock Take(string path, int operation)
    {
        int fd = OpenLockFile(path);
        while (flock(fd, operation) != 0)
        {
            if (Marshal.GetLastPInvokeError() != LibC.EINTR)
            {
                _ = LibC.close(fd);
                throw new SandboxException(ErrorKind.StateConflict, $"cannot lock the image store ({path})");
            }
        }

        return new StoreLock(fd);
    }

    private static unsafe int OpenLockFile(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        // SAFETY: the path is pinned and NUL-terminated for the call.
        fixed (byte* p = bytes)
        {
            fd = LibC.open(p, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0b110_000_000);
        }

        return fd >= 0 ? fd : throw new SandboxException(ErrorKind.StateConflict,
            $"cannot open the image store lock {path}: {Host.Interop.Errno.Describe(LibC.errno)}");
    }

    private static int flock(int fd, int operation) => Host.Files.FileLock.Flock(fd, operation);
}
