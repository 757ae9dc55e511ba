using System.Formats.Tar;

namespace Sandbox.Tests.Support;

/// <summary>
/// A rootfs tar whose files belong to users other than root, as a real image's do: busybox (root),
/// /home/app (1000:1000, 0700) holding a 0600 secret, /srv/drop (1000:1000, 0770), /etc/passwd and
/// /etc/group naming app, and /bin/busybox-suid, a setuid-root copy of busybox.
/// </summary>
public static class OwnedImage
{
    public const string Secret = "only app reads this\n";

    private static readonly string[] Applets = ["sh", "cat", "stat", "id", "ls", "echo", "test", "true"];

    public static string Write(string dir)
    {
        Require.That(File.Exists("/bin/busybox"), "this test needs /bin/busybox (apt-get install busybox-static)");
        var tar = new TarBuilder()
            .Add(Entry(TarEntryType.Directory, "bin", 0b111_101_101))
            .Add(Binary("bin/busybox", 0b111_101_101))
            .Add(Binary("bin/busybox-suid", 0b100_111_101_101))
            .Add(Entry(TarEntryType.Directory, "etc", 0b111_101_101))
            .File("etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
            .File("etc/group", "root:x:0:\napp:x:1000:\n")
            .Add(Entry(TarEntryType.Directory, "home", 0b111_101_101))
            .Add(Entry(TarEntryType.Directory, "home/app", 0b111_000_000, 1000))
            .File("home/app/secret", Secret, (UnixFileMode)0b110_000_000, 1000, 1000)
            .Add(Entry(TarEntryType.Directory, "srv", 0b111_101_101))
            .Add(Entry(TarEntryType.Directory, "srv/drop", 0b111_111_000, 1000));
        foreach (string applet in Applets)
        {
            tar.Symlink($"bin/{applet}", "busybox");
        }

        string path = Path.Combine(dir, "owned-rootfs.tar");
        using var file = File.Create(path);
        tar.WriteTo(file);
        return path;
    }

    private static PaxTarEntry Entry(TarEntryType type, string name, int mode, int owner = 0) =>
        new(type, name) { Mode = (UnixFileMode)mode, Uid = owner, Gid = owner };

    private static PaxTarEntry Binary(string name, int mode) =>
        new(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)mode, DataStream = new MemoryStream(File.ReadAllBytes("/bin/busybox")) };
}
