using System.Text;
using Sandbox.Host.Files;
using Tmds.Linux;

namespace Sandbox.Host.Probes;

/// <summary>Whether a file was installed by a Debian package: dpkg's file list names the same inode.</summary>
internal static class DebianPackages
{
    private const string InfoDir = "/var/lib/dpkg/info";

    public static bool Owns(string package, string path)
    {
        string? list = ProcFiles.ReadText(Path.Combine(InfoDir, package + ".list"));
        if (list is null)
        {
            return false;
        }

        // Compare inodes, not strings: with merged /usr, /sbin/runc and /usr/sbin/runc are one file, while an
        // upstream binary in /usr/local/sbin is a different file that dpkg knows nothing about.
        string fileName = "/" + Path.GetFileName(path);
        return list.Split('\n').Any(line => line.EndsWith(fileName, StringComparison.Ordinal) && SameFile(line, path));
    }

    private static bool SameFile(string a, string b)
    {
        stat sa;
        stat sb;
        byte[] pa = Encoding.UTF8.GetBytes(a + "\0");
        byte[] pb = Encoding.UTF8.GetBytes(b + "\0");

        unsafe
        {
            // SAFETY: both paths are pinned NUL-terminated buffers and sa/sb are stack structs of the exact type
            // Tmds.LibC declares for stat(2); nothing is retained after the calls.
            fixed (byte* ppa = pa)
            fixed (byte* ppb = pb)
            {
                if (LibC.stat(ppa, &sa) != 0 || LibC.stat(ppb, &sb) != 0)
                {
                    return false;
                }
            }
        }

        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    }
}
