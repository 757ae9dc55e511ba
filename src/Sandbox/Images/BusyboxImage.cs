using System.Diagnostics;
using System.Globalization;
using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>
/// The built-in `busybox` image, made locally from Debian's busybox-static so the first run needs
/// no registry. Built once per busybox binary (keyed by its size and mtime) and published with an
/// atomic rename, so a crash mid-build never leaves a half-made image behind.
/// </summary>
public static class BusyboxImage
{
    public const string Name = "busybox";
    public const string HostBinary = "/bin/busybox";

    private static readonly string[] MountPoints = ["proc", "sys", "dev", "tmp"];

    /// <summary>2: /tmp is 1777 (the OCI runtime gives the sandbox's tmpfs the mode of the directory it covers).</summary>
    private const int LayoutVersion = 2;

    public static Image Get(StateRoot root)
    {
        var binary = new FileInfo(HostBinary);
        if (!binary.Exists)
        {
            throw new SandboxException(ErrorKind.ImageNotFound,
                $"the built-in image 'busybox' needs {HostBinary}, which is missing",
                "install Debian's busybox-static: apt-get install busybox-static (or run make deps)");
        }

        // The layout version leads the key: an image built by an older layout is never reused.
        string key = string.Create(CultureInfo.InvariantCulture, $"{LayoutVersion}-{binary.Length:x}-{binary.LastWriteTimeUtc.Ticks:x}");
        string images = root.Ensure(root.Images); // private: sandboxes see the rootfs through an ID-mapped bind
        string dir = Path.Combine(images, $"busybox-{key}");
        if (!Directory.Exists(dir))
        {
            Build(images, dir);
        }

        return new Image(Name, Path.Combine(dir, "rootfs"), ["sh"],
            ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "/");
    }

    private static void Build(string images, string final)
    {
        string temp = Path.Combine(images, $".tmp-busybox-{Guid.NewGuid():N}");
        try
        {
            string rootfs = Path.Combine(temp, "rootfs");
            Directory.CreateDirectory(rootfs);
            Populate(rootfs);
            MakeReadableTree(temp);
            try
            {
                Directory.Move(temp, final);
            }
            catch (IOException) when (Directory.Exists(final))
            {
                // Another launcher published the same image first; theirs is identical.
            }
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static void Populate(string rootfs)
    {
        string bin = Path.Combine(rootfs, "bin");
        Directory.CreateDirectory(bin);
        File.Copy(HostBinary, Path.Combine(bin, "busybox"));
        File.SetUnixFileMode(Path.Combine(bin, "busybox"), (UnixFileMode)0b111_101_101);

        foreach (string applet in ListApplets())
        {
            string link = Path.Combine(rootfs, applet.TrimStart('/'));
            if (link == Path.Combine(bin, "busybox") || File.Exists(link) || Directory.Exists(link))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, "/bin/busybox");
        }

        foreach (string mountPoint in MountPoints)
        {
            Directory.CreateDirectory(Path.Combine(rootfs, mountPoint));
        }

        Directory.CreateDirectory(Path.Combine(rootfs, "root"));
        string etc = Directory.CreateDirectory(Path.Combine(rootfs, "etc")).FullName;
        File.WriteAllText(Path.Combine(etc, "passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(Path.Combine(etc, "group"), "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
    }

    private static string[] ListApplets()
    {
        var psi = new ProcessStartInfo(HostBinary, "--list-full")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi)
            ?? throw new SandboxException(ErrorKind.HostUnsupported, $"cannot run {HostBinary} --list-full");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new SandboxException(ErrorKind.HostUnsupported,
                $"{HostBinary} --list-full exited {process.ExitCode}", "reinstall busybox-static");
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>
    /// Directories 0755 so a container's unprivileged mapped root can walk the tree, and /tmp 1777
    /// as in any distribution: the sandbox's /tmp is a fresh tmpfs, but runc gives a tmpfs the mode
    /// of the directory it covers, so a 0755 here would keep every user but root out of /tmp.
    /// </summary>
    private static void MakeReadableTree(string dir)
    {
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        foreach (var sub in Host.Files.TreeWalk.Below(dir).Where(e => e.IsDirectory))
        {
            File.SetUnixFileMode(sub.Path, (UnixFileMode)0b111_101_101);
        }

        File.SetUnixFileMode(Path.Combine(dir, "rootfs", "tmp"), (UnixFileMode)0b1_111_111_111); // sticky, rwx for all
    }
}
