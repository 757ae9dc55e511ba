using System.Runtime.InteropServices;

namespace Sandbox.Volumes;

/// <summary>
/// What a file in a volume is to the microVM that made it. QEMU's 9p export (security_model=
/// mapped-xattr) creates every file as a plain 0600 file or 0700 directory and keeps the mode the
/// guest asked for, type included, in the "user.virtfs.mode" attribute (4 bytes, little-endian): a
/// guest symlink is a regular file holding its target, a FIFO an empty regular file. QEMU never lets
/// the guest read or write that attribute. Anything else that could set it (a container writing the
/// same volume) can only make an entry look like a link or a special file, which export copies
/// as a link or leaves out: nothing it can name is followed.
/// </summary>
internal static unsafe partial class GuestMode
{
    private static readonly byte[] Name = "user.virtfs.mode\0"u8.ToArray();

    /// <summary>The guest's mode of the open file <paramref name="fd"/> (type and permission bits), or null when it has none.</summary>
    public static uint? Of(int fd)
    {
        uint mode;
        nint n;
        // SAFETY: the name is NUL-terminated and pinned; at most 4 bytes are written into the local.
        fixed (byte* name = Name)
        {
            n = FGetXattr(fd, name, &mode, sizeof(uint));
        }

        return n == sizeof(uint) && BitConverter.IsLittleEndian ? mode : null; // ERANGE (a longer value) or ENODATA: not QEMU's
    }

    [LibraryImport("libc.so.6", EntryPoint = "fgetxattr", SetLastError = true)]
    private static partial nint FGetXattr(int fd, byte* name, void* value, nuint size);
}
