using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Sandbox.Host.Interop;

/// <summary>Turns an errno value into "ENAME (message)" so probe details name the failure precisely.</summary>
internal static class Errno
{
    private static readonly (int Value, string Name)[] Names =
    [
        (LibC.EPERM, "EPERM"),
        (LibC.ENOENT, "ENOENT"),
        (LibC.EINTR, "EINTR"),
        (LibC.EIO, "EIO"),
        (LibC.ENXIO, "ENXIO"),
        (LibC.EBADF, "EBADF"),
        (LibC.EAGAIN, "EAGAIN"),
        (LibC.ENOMEM, "ENOMEM"),
        (LibC.EACCES, "EACCES"),
        (LibC.EFAULT, "EFAULT"),
        (LibC.EBUSY, "EBUSY"),
        (LibC.EEXIST, "EEXIST"),
        (LibC.ENODEV, "ENODEV"),
        (LibC.ENOTDIR, "ENOTDIR"),
        (LibC.EINVAL, "EINVAL"),
        (LibC.EMFILE, "EMFILE"),
        (LibC.ENOTTY, "ENOTTY"),
        (LibC.ENOSPC, "ENOSPC"),
        (LibC.EROFS, "EROFS"),
        (LibC.ENOSYS, "ENOSYS"),
        (LibC.ELOOP, "ELOOP"),
        (LibC.EOPNOTSUPP, "EOPNOTSUPP"),
    ];

    /// <summary>"EACCES (Permission denied)", or "errno 123 (...)" for values not in the table.</summary>
    public static string Describe(int errno)
    {
        string name = $"errno {errno}";
        foreach ((int value, string n) in Names)
        {
            if (value == errno)
            {
                name = n;
                break;
            }
        }

        return $"{name} ({Marshal.GetPInvokeErrorMessage(errno)})";
    }
}
