using Microsoft.Win32.SafeHandles;
using Sandbox.Host;
using Sandbox.Runtime;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Sandbox.Analysis;

/// <summary>
/// Reads a sample once: opened with O_NONBLOCK (a FIFO does not block), used only if fstat says it
/// is a regular file (a device such as /dev/zero would never end), no larger than the bound, and
/// read for the size fstat gave (a file that grows meanwhile is read as it was).
/// </summary>
internal static unsafe class SampleReader
{
    public static byte[] Read(string fullPath, string shownPath, long maxSize)
    {
        string shown = Printable.Escape(shownPath);
        int fd;
        // SAFETY: the path is a pinned NUL-terminated copy for the call.
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(fullPath + "\0"))
        {
            fd = open(p, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
        }

        if (fd < 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: cannot read '{shown}': {Sandbox.Host.Interop.Errno.Describe(errno)}");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        stat st;
        // SAFETY: st is a local the kernel fills; fd is open.
        if (fstat(fd, &st) != 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: cannot read '{shown}': {Sandbox.Host.Interop.Errno.Describe(errno)}");
        }

        if ((st.st_mode & S_IFMT) != S_IFREG)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: '{shown}' is not a regular file (a device, FIFO or socket is never a sample)");
        }

        if (st.st_size > maxSize)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"analyze: '{shown}' is {st.st_size} bytes, above the {maxSize >> 20} MiB a sample may have");
        }

        var bytes = new byte[st.st_size];
        int done = 0;
        try
        {
            while (done < bytes.Length && RandomAccess.Read(handle, bytes.AsSpan(done), done) is var n and > 0)
            {
                done += n;
            }
        }
        catch (IOException e)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: cannot read '{shown}': {e.Message}");
        }

        return done == bytes.Length ? bytes : bytes[..done]; // it shrank meanwhile: what was read is the sample
    }
}
