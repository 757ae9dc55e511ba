using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>x86-64 numbers of the mount-API system calls Tmds.LibC 0.5.0 does not bind.</summary>
internal static class Syscall
{
    public const int Mount = 165;
    public const int OpenTree = 428;
    public const int MoveMount = 429;
    public const int MountSetattr = 442;

    /// <summary>Throws a <see cref="MountException"/> naming the call and path when a syscall failed.</summary>
    public static void Check(ssize_t rc, string call, string path)
    {
        if ((long)rc < 0)
        {
            throw new MountException($"{call} {path}: {Errno.Describe(LibC.errno)}");
        }
    }

    public static void RequireX64()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException("mount-API syscalls are wired for x86-64 only");
        }
    }
}

/// <summary>A mount-related system call failed; the message names the call, the path and the errno.</summary>
public sealed class MountException(string message) : IOException(message);
