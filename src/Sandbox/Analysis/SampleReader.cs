using Sandbox.Host;
using Sandbox.Host.Files;
using Sandbox.Images.Formats;
using Sandbox.Runtime;
using Tmds.Linux;

namespace Sandbox.Analysis;

/// <summary>
/// Reads a sample once: used only if fstat of what was opened says it is a regular file (a device
/// such as /dev/zero would never end, a FIFO would block), no larger than the bound, and read for
/// the size fstat gave (a file that grows meanwhile is read as it was). The user's path may be a link.
/// </summary>
internal static class SampleReader
{
    public static byte[] Read(string fullPath, string shownPath, long maxSize)
    {
        string shown = Printable.Escape(shownPath);
        var (opened, type, size, errno) = OpenedFile.Open(fullPath, followLinks: true);
        using var handle = opened ?? throw new SandboxException(ErrorKind.InvalidArgument,
            errno == LibC.ENXIO ? $"analyze: '{shown}' is a socket, not a regular file" : $"analyze: cannot read '{shown}': {Host.Interop.Errno.Describe(errno)}");
        if (type != (uint)LibC.S_IFREG)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: '{shown}' {OpenedFile.Describe(type)}, not a regular file: a sample is a program or a script");
        }

        if (size > maxSize)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: '{shown}' is {size} bytes, above the {maxSize >> 20} MiB a sample may have");
        }

        try
        {
            using var file = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            return OpenedFile.ReadUpTo(file, (int)size); // it shrank meanwhile: what was read is the sample
        }
        catch (IOException e)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"analyze: cannot read '{shown}': {e.Message}");
        }
    }
}
