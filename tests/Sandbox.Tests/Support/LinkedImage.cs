namespace Sandbox.Tests.Support;

/// <summary>
/// A rootfs directory whose /data is a symlink to /etc (CVE-2021-30465 style): a volume mounted at
/// /data must land at /data itself. /etc holds only "marker"; deleted on dispose.
/// </summary>
public sealed class LinkedImage : IDisposable
{
    public LinkedImage()
    {
        Rootfs = Directory.CreateTempSubdirectory("sandbox-link-image-").FullName;
        foreach (string d in new[] { "proc", "sys", "dev", "tmp", "bin", "etc" })
        {
            Directory.CreateDirectory(Path.Combine(Rootfs, d));
        }

        File.Copy("/bin/busybox", Path.Combine(Rootfs, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(Rootfs, "bin", "sh"), "busybox");
        File.WriteAllText(Path.Combine(Rootfs, "etc", "marker"), "image");
        File.CreateSymbolicLink(Path.Combine(Rootfs, "data"), "/etc");
        File.SetUnixFileMode(Rootfs, (UnixFileMode)0b111_101_101);
    }

    public string Rootfs { get; }

    public void Dispose() => Directory.Delete(Rootfs, recursive: true);
}
