using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Host.Files;
using Tmds.Linux;

namespace Sandbox.Lifecycle;

/// <summary>
/// The supervisor's liveness: it holds an exclusive flock on its lock file for its whole life. The
/// kernel releases it when the process dies (kill -9 included), so a lock that can be taken means
/// the supervisor is gone, whatever its PID now names.
/// </summary>
public sealed class SupervisorLock : IDisposable
{
    private int _fd;

    private SupervisorLock(int fd) => _fd = fd;

    /// <summary>Takes the lock without waiting; null when someone holds it.</summary>
    public static unsafe SupervisorLock? TryTake(string path)
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
            return null;
        }

        const int NonBlocking = 4; // LOCK_NB
        if (FileLock.Flock(fd, FileLock.Exclusive | NonBlocking) != 0)
        {
            _ = Marshal.GetLastPInvokeError();
            _ = LibC.close(fd);
            return null;
        }

        return new SupervisorLock(fd);
    }

    /// <summary>Whether a supervisor holds the lock at <paramref name="path"/> now.</summary>
    public static bool IsHeld(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = TryTake(path);
        return probe is null;
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = LibC.close(_fd);
            _fd = -1;
        }
    }
}
