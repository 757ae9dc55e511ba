using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Host.Files;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>
/// mknodat(2) for one character device node (Tmds.LibC 0.5.0 binds no mknod, so this issues the
/// system call through LibC.syscall, as StatFs does).
/// </summary>
internal static class DeviceNode
{
    private const int SysMknodatX64 = 259;
    private const int SysMknodatArm64 = 33;
    private const int AtFdCwd = -100;
    private const uint CharacterDevice = 0x2000; // S_IFCHR

    /// <summary>Creates a character device node with exactly <paramref name="mode"/> (no umask) at <paramref name="path"/>.</summary>
    public static void CreateCharacter(string path, uint major, uint minor, UnixFileMode mode)
    {
        int number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => SysMknodatX64,
            Architecture.Arm64 => SysMknodatArm64,
            _ => throw new PlatformNotSupportedException($"mknodat: unsupported architecture {RuntimeInformation.ProcessArchitecture}"),
        };

        // The kernel's new_encode_dev: the 32-bit dev_t the mknodat system call takes.
        uint dev = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
        byte[] cPath = Encoding.UTF8.GetBytes(path + "\0");
        long rc;
        unsafe
        {
            // SAFETY: cPath is a NUL-terminated copy pinned for the call; mknodat only reads it.
            fixed (byte* p = cPath)
            {
                rc = (long)LibC.syscall(number, AtFdCwd, p, CharacterDevice | (uint)mode, dev);
            }
        }

        if (rc != 0)
        {
            throw new IOException($"mknod {path} c {major}:{minor}: {Errno.Describe(LibC.errno)}");
        }

        File.SetUnixFileMode(path, mode); // mknod's mode passed through the umask
    }
}
