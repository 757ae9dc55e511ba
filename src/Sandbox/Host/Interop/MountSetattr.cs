using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>mount_setattr(2): makes a detached mount nosuid, nodev, optionally read-only, and ID-mapped when asked.</summary>
internal static class MountSetattr
{
    private const ulong MountAttrRdonly = 0x1;
    private const ulong MountAttrNosuid = 0x2;
    private const ulong MountAttrNodev = 0x4;
    private const ulong MountAttrIdmap = 0x100000;
    private const uint AtEmptyPath = 0x1000;
    private const uint AtRecursive = 0x8000;

    // struct mount_attr (MOUNT_ATTR_SIZE_VER0 = 32 bytes).
    [StructLayout(LayoutKind.Sequential)]
    private struct MountAttr
    {
        public ulong AttrSet;
        public ulong AttrClr;
        public ulong Propagation;
        public ulong UsernsFd;
    }

    public static void Idmap(SafeFileHandle tree, SafeFileHandle userns, bool readOnly, string what) =>
        Set(tree, new MountAttr
        {
            AttrSet = MountAttrIdmap | MountAttrNosuid | MountAttrNodev | (readOnly ? MountAttrRdonly : 0),
            UsernsFd = (ulong)userns.DangerousGetHandle(),
        }, "mount_setattr idmap", what);

    public static void Restrict(SafeFileHandle tree, bool readOnly, string what) =>
        Set(tree, new MountAttr { AttrSet = MountAttrNosuid | MountAttrNodev | (readOnly ? MountAttrRdonly : 0) }, "mount_setattr", what);

    private static void Set(SafeFileHandle tree, MountAttr attr, string call, string what)
    {
        byte empty = 0;
        ssize_t rc;
        unsafe
        {
            // SAFETY: attr and the empty path live on this stack frame for the call; the handles stay
            // open because the caller holds them; the kernel reads sizeof(MountAttr) bytes.
            rc = LibC.syscall(Syscall.MountSetattr, (int)tree.DangerousGetHandle(), &empty,
                AtEmptyPath | AtRecursive, &attr, (uint)sizeof(MountAttr));
        }

        Syscall.Check(rc, call, what);
    }
}
