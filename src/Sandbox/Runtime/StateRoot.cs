namespace Sandbox.Runtime;

/// <summary>
/// The state directory (--root, SANDBOX_ROOT, default /var/lib/sandbox). Everything the sandbox
/// writes lives below it, so a test gets a private world by pointing it at a temporary directory.
/// </summary>
public sealed class StateRoot
{
    public const string DefaultPath = "/var/lib/sandbox";

    public StateRoot(string path)
    {
        if (!System.IO.Path.IsPathFullyQualified(path))
        {
            path = System.IO.Path.GetFullPath(path);
        }

        Path = path.TrimEnd('/');
        if (Path.Length == 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, "--root: '/' cannot be the state directory",
                "choose a dedicated directory such as /var/lib/sandbox");
        }
    }

    public string Path { get; }

    /// <summary>Images, one directory per image, each with a read-only rootfs shared by every sandbox.</summary>
    public string Images => Sub("images");

    /// <summary>One directory per live sandbox: its bundle, logs and lease record.</summary>
    public string Runs => Sub("run");

    /// <summary>OCI runtime state (--root of runc/crun), kept apart from the runtimes' system-wide state.</summary>
    public string RuntimeState(string runtime) => Sub("runtime", runtime);

    /// <summary>Named volumes: host-owned data that outlives every sandbox.</summary>
    public string Volumes => Sub("volumes");

    /// <summary>Cached host probe results.</summary>
    public string HostCache => Sub("host");

    public static StateRoot FromEnvironment(string? flag) =>
        new(flag ?? Environment.GetEnvironmentVariable("SANDBOX_ROOT") ?? DefaultPath);

    /// <summary>
    /// Creates a directory below the root. Private state is 0700 (an existing directory with more is
    /// tightened: the image store was 0711 before rootfs files carried their image owners). Run
    /// directories, kernels and VM disks are 0711: a sandbox's mapped root or the jailed VMM (an
    /// unprivileged host ID) must traverse them to reach its bind sources, but must not list them.
    /// </summary>
    public string Ensure(string dir, bool traversable = false)
    {
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode Traversable = Private | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        MakeTraversable(Directory.CreateDirectory(Path, Traversable));
        var info = Directory.CreateDirectory(dir, traversable ? Traversable : Private);
        if (traversable)
        {
            MakeTraversable(info);
        }
        else if ((info.UnixFileMode & ~Private) != 0)
        {
            info.UnixFileMode = Private;
        }

        return dir;

        static void MakeTraversable(DirectoryInfo d)
        {
            if ((d.UnixFileMode & Traversable) != Traversable)
            {
                d.UnixFileMode |= Traversable;
            }
        }
    }

    private string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
