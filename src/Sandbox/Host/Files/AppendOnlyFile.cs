using System.Runtime.InteropServices;
using Sandbox.Runtime;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Sandbox.Host.Files;

/// <summary>
/// A file opened O_APPEND and held under an exclusive flock until disposed: appends from concurrent
/// processes never interleave, and each append is one write of the whole buffer followed by fsync.
/// </summary>
public sealed unsafe class AppendOnlyFile : IDisposable
{
    private int fd;

    private AppendOnlyFile(int fd) => this.fd = fd;

    /// <summary>Opens (creating, mode 0600) and locks; blocks while another process holds the lock.</summary>
    public static AppendOnlyFile OpenLocked(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] name = [.. System.Text.Encoding.UTF8.GetBytes(path), 0];
        int fd;
        fixed (byte* p = name)
        {
            // SAFETY: p points at a NUL-terminated copy of the path that outlives the call.
            do
            {
                fd = open(p, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0b110_000_000);
            }
            while (fd < 0 && errno == EINTR);
        }

        if (fd < 0)
        {
            throw Fail($"cannot open the audit log {path}", "check that the state root is writable");
        }

        var file = new AppendOnlyFile(fd);
        int rc;
        do
        {
            rc = FileLock.Flock(fd, FileLock.Exclusive);
        }
        while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (rc < 0)
        {
            string why = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            file.Dispose();
            throw new SandboxException(ErrorKind.StateConflict, $"cannot lock the audit log {path}: {why}");
        }

        return file;
    }

    /// <summary>
    /// The whole file, read under a shared flock: waits for an append in progress, so the snapshot
    /// never holds half a line that is still being written. Empty when the file does not exist.
    /// </summary>
    public static byte[] ReadShared(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] name = [.. System.Text.Encoding.UTF8.GetBytes(path), 0];
        int fd;
        fixed (byte* p = name)
        {
            // SAFETY: p points at a NUL-terminated copy of the path that outlives the call.
            fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        }

        if (fd < 0)
        {
            return errno == ENOENT ? [] : throw Fail($"cannot open the audit log {path}", "check the state root and its permissions");
        }

        using var file = new AppendOnlyFile(fd);
        while (FileLock.Flock(fd, FileLock.Shared) < 0)
        {
            if (Marshal.GetLastPInvokeError() != EINTR)
            {
                throw new SandboxException(ErrorKind.StateConflict, $"cannot lock the audit log {path}");
            }
        }

        return file.ReadTail(file.Length);
    }

    /// <summary>
    /// Whether <paramref name="path"/> still names this open file: false once a rotation renamed it
    /// away while this process waited for the lock (the caller then reopens the path).
    /// </summary>
    public bool IsStillAt(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] name = [.. System.Text.Encoding.UTF8.GetBytes(path), 0];
        stat mine, named;
        fixed (byte* p = name)
        {
            // SAFETY: p is NUL-terminated and pinned; the stat buffers are locals the kernel fills.
            if (fstat(fd, &mine) != 0 || lstat(p, &named) != 0)
            {
                return false;
            }
        }

        return mine.st_ino == named.st_ino && mine.st_dev == named.st_dev;
    }

    public long Length
    {
        get
        {
            stat st;
            // SAFETY: st is a local the kernel fills; fd is open until Dispose.
            return fstat(fd, &st) == 0 ? st.st_size : throw Fail("cannot stat the audit log", null);
        }
    }

    /// <summary>The last <paramref name="count"/> bytes of the file.</summary>
    public byte[] ReadTail(long count)
    {
        long size = Length;
        var buffer = new byte[count];
        if (count == 0)
        {
            return buffer;
        }

        long done = 0;
        fixed (byte* b = buffer)
        {
            while (done < count)
            {
                // SAFETY: b + done .. b + count lies inside buffer, which is pinned by fixed.
                long n = pread(fd, b + done, (size_t)(ulong)(count - done), size - count + done);
                if (n < 0 && errno == EINTR)
                {
                    continue;
                }

                if (n <= 0)
                {
                    throw Fail("cannot read the audit log", null);
                }

                done += n;
            }
        }

        return buffer;
    }

    /// <summary>Appends all of <paramref name="bytes"/> and fsyncs; the lock keeps other writers out meanwhile.</summary>
    public void AppendAndSync(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* b = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                // SAFETY: b + done .. b + Length lies inside the pinned span.
                long n = write(fd, b + done, (size_t)(ulong)(bytes.Length - done));
                if (n < 0 && errno == EINTR)
                {
                    continue;
                }

                if (n <= 0)
                {
                    throw Fail("cannot write the audit log", "check free space on the state root's file system");
                }

                done += (int)n;
            }
        }

        if (fsync(fd) != 0)
        {
            throw Fail("cannot fsync the audit log", "check the state root's file system");
        }
    }

    public void Dispose()
    {
        if (fd >= 0)
        {
            _ = close(fd); // also releases the flock
            fd = -1;
        }
    }

    private static SandboxException Fail(string what, string? hint) =>
        new(ErrorKind.StateConflict, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}", hint);
}
