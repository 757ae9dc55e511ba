using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Host.Interop;
using Tmds.Linux;

namespace Sandbox.Host.Files;

/// <summary>
/// The file-system magic number (statfs f_type) of a path. Tmds.LibC 0.5.0 binds statvfs, which has no
/// f_type, but not statfs, so this issues the statfs system call through LibC.syscall.
/// </summary>
internal static class StatFs
{
    // Syscall numbers: x86-64 uses its own table, arm64 the generic one.
    private const int SysStatfsX64 = 137;
    private const int SysStatfsArm64 = 43;

    // The kernel's struct statfs on 64-bit ABIs is 120 bytes of longs with f_type first; 16 longs leave room.
    private const int BufferWords = 16;

    /// <summary>Returns the magic, or null with <paramref name="error"/> describing why statfs failed.</summary>
    public static long? Magic(string path, out string? error)
    {
        int number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => SysStatfsX64,
            Architecture.Arm64 => SysStatfsArm64,
            _ => -1,
        };
        if (number < 0)
        {
            error = $"statfs {path}: unsupported architecture {RuntimeInformation.ProcessArchitecture}";
            return null;
        }

        byte[] cPath = Encoding.UTF8.GetBytes(path + "\0");
        Span<long> buffer = stackalloc long[BufferWords];
        long rc;
        unsafe
        {
            // SAFETY: cPath and buffer are pinned for the call; cPath is NUL-terminated and buffer is larger
            // than the kernel's struct statfs (120 bytes), so the kernel's write stays inside it.
            fixed (byte* p = cPath)
            fixed (long* b = buffer)
            {
                ssize_t result = LibC.syscall(number, p, b);
                rc = result;
            }
        }

        if (rc != 0)
        {
            error = $"statfs {path}: {Errno.Describe(LibC.errno)}";
            return null;
        }

        error = null;
        return buffer[0]; // f_type
    }
}
