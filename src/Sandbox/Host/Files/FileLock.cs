using System.Runtime.InteropServices;

namespace Sandbox.Host.Files;

/// <summary>flock(2): an advisory whole-file lock that the kernel releases when the holder dies.</summary>
internal static partial class FileLock
{
    public const int Shared = 1; // LOCK_SH
    public const int Exclusive = 2; // LOCK_EX

    /// <summary>Returns 0, or -1 with the errno in Marshal.GetLastPInvokeError.</summary>
    // The exact soname: a bare "libc" makes the runtime probe dozens of paths first (~2 ms per run).
    [LibraryImport("libc.so.6", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);
}
