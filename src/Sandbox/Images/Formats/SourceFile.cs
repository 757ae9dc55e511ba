using Microsoft.Win32.SafeHandles;
using Sandbox.Host.Files;
using Sandbox.Runtime;
using Tmds.Linux;

namespace Sandbox.Images.Formats;

/// <summary>
/// Opens a file an import reads (the source itself, or a file inside an OCI layout directory) with
/// O_NOFOLLOW|O_NONBLOCK and judges it by fstat: a symlink, a FIFO (which would block), a device
/// (which may never end) or a socket is refused before a byte is read.
/// </summary>
internal static class SourceFile
{
    /// <summary>The opened descriptor and its file type (S_IFMT bits) and size; throws for what cannot be opened.</summary>
    public static (SafeFileHandle Handle, uint Type, long Size) Open(string path, string shown)
    {
        var (handle, type, size, errno) = OpenedFile.Open(path, followLinks: false);
        if (handle is null)
        {
            throw errno == LibC.ELOOP ? Refused(shown, "is a symlink")
                : errno == LibC.ENXIO ? Refused(shown, "is a socket") // opening a socket fails with ENXIO
                : new SandboxException(ErrorKind.ImageNotFound, $"cannot open {shown}: {Host.Interop.Errno.Describe(errno)}", ImportSource.Accepted);
        }

        return (handle, type, size);
    }

    /// <summary>A regular file, for reading; anything else is refused naming what it is.</summary>
    public static FileStream OpenRegular(string path, string shown)
    {
        var (handle, type, _) = Open(path, shown);
        if (type != (uint)LibC.S_IFREG)
        {
            handle.Dispose();
            throw Refused(shown, OpenedFile.Describe(type));
        }

        return new FileStream(handle, FileAccess.Read, bufferSize: 1 << 16);
    }

    /// <summary>A small regular file (an index) read whole, at most <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadSmall(string path, string shown, int maxBytes)
    {
        using FileStream file = OpenRegular(path, shown);
        byte[] bytes = OpenedFile.ReadUpTo(file, maxBytes + 1);
        return bytes.Length <= maxBytes ? bytes
            : throw new SandboxException(ErrorKind.ImageNotFound, $"{shown} is larger than {maxBytes} bytes");
    }

    public static SandboxException Refused(string shown, string what) =>
        new(ErrorKind.ImageNotFound, $"{shown} {what}, not an image: only a regular file or a directory is imported", ImportSource.Accepted);
}
