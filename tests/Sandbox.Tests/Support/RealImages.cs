namespace Sandbox.Tests.Support;

/// <summary>
/// Source images made by real tools, once per test run: umoci builds an OCI layout from a busybox rootfs
/// (with Env, WorkingDir, Cmd, User and a label), skopeo turns it into a docker-archive, an oci-archive
/// and a zstd-compressed layout.
/// </summary>
public static class RealImages
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Checks the tools (skip locally, fail under CI) and returns the directory holding the images.</summary>
    public static string Dir
    {
        get
        {
            Require.Tool("umoci");
            Require.Tool("skopeo");
            Require.Tool("zstd");
            Require.That(File.Exists("/bin/busybox"), "this test needs /bin/busybox (apt-get install busybox-static)");
            return Built.Value;
        }
    }

    public static string Layout => Path.Combine(Dir, "layout");
    public static string DockerArchive => Path.Combine(Dir, "app.docker.tar");
    public static string OciArchive => Path.Combine(Dir, "app.oci.tar");
    public static string ZstdLayout => Path.Combine(Dir, "zstd-layout");
    public static string Rootfs => Path.Combine(Dir, "bundle", "rootfs");

    private static readonly Lazy<string> Podman = new(BuildPodman, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>`podman save --multi-image-archive` of the docker-archive (app:1) and an image podman imported from the rootfs (other:2).</summary>
    public static string PodmanMultiArchive
    {
        get
        {
            _ = Dir;
            Require.Tool("podman");
            return Podman.Value;
        }
    }

    public const string Greeting = "app says hi from /app as 1000\n";

    /// <summary>podman with private storage (vfs) under a temporary directory: nothing touches the host's images.</summary>
    private static string BuildPodman()
    {
        string dir = Path.Combine(Dir, "podman");
        string[] podman = ["--root", Path.Combine(dir, "root"), "--runroot", Path.Combine(dir, "run"), "--storage-driver", "vfs"];
        string rootfsTar = Path.Combine(dir, "rootfs.tar");
        Directory.CreateDirectory(dir);
        System.Formats.Tar.TarFile.CreateFromDirectory(Rootfs, rootfsTar, includeBaseDirectory: false);
        Tool.Run("podman", [.. podman, "load", "-q", "-i", DockerArchive]);
        Tool.Run("podman", [.. podman, "import", "-q", rootfsTar, "other:2"]);
        string archive = Path.Combine(dir, "multi.tar");
        Tool.Run("podman", [.. podman, "save", "-q", "--multi-image-archive", "-o", archive, "app:1", "other:2"]);
        return archive;
    }

    private static string Build()
    {
        string dir = TestTemp.Directory("sandbox-real-images-");
        string layout = Path.Combine(dir, "layout");
        string bundle = Path.Combine(dir, "bundle");
        Tool.Run("umoci", "init", "--layout", layout);
        Tool.Run("umoci", "new", "--image", layout + ":1");
        Tool.Run("umoci", "unpack", "--image", layout + ":1", bundle);
        string rootfs = Path.Combine(bundle, "rootfs");
        foreach (string d in new[] { "bin", "app", "etc" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (string applet in new[] { "sh", "id", "pwd", "cat", "ls", "stat", "echo" })
        {
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        }

        File.WriteAllText(Path.Combine(rootfs, "app", "run"), "#!/bin/sh\necho \"app says $GREETING from $(pwd) as $(id -u)\"\n");
        File.SetUnixFileMode(Path.Combine(rootfs, "app", "run"), (UnixFileMode)0b111_101_101);
        Tool.Run("umoci", "repack", "--image", layout + ":1", bundle);
        Tool.Run("umoci", "config", "--image", layout + ":1", "--config.env", "GREETING=hi", "--config.env", "PATH=/bin",
            "--config.workingdir", "/app", "--config.cmd", "/app/run", "--config.user", "1000", "--config.label", "org.example.team=sec");
        Tool.Run("skopeo", "copy", "--quiet", $"oci:{layout}:1", $"docker-archive:{Path.Combine(dir, "app.docker.tar")}:app:1");
        Tool.Run("skopeo", "copy", "--quiet", $"oci:{layout}:1", $"oci-archive:{Path.Combine(dir, "app.oci.tar")}");
        Tool.Run("skopeo", "copy", "--quiet", "--dest-compress-format", "zstd", $"oci:{layout}:1", $"oci:{Path.Combine(dir, "zstd-layout")}:1");
        return dir;
    }
}
