using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>ioctl(NS_GET_NSTYPE): whether a descriptor is a namespace, and of which kind.</summary>
internal static class NamespaceType
{
    private const int NsGetNstype = 0xb703; // _IO(0xb7, 0x3)
    private const int CloneNewUser = 0x10000000;

    /// <summary>True only for a user namespace descriptor (a plain file, or another namespace, is false).</summary>
    public static bool IsUser(SafeFileHandle fd) =>
        LibC.ioctl((int)fd.DangerousGetHandle(), NsGetNstype, 0) == CloneNewUser;
}
