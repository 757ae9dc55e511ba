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

    /// <summary>
    /// The state root a command line names (--root, else $SANDBOX_ROOT, else the default), refused with
    /// a clear message where it cannot hold state: empty, not a directory, or on a kernel pseudo file
    /// system (proc, sysfs, cgroup...), where files are not what they seem.
    /// </summary>
    public static StateRoot FromEnvironment(string? flag)
    {
        string source = flag is not null ? "--root" : "SANDBOX_ROOT";
        string path = flag ?? Environment.GetEnvironmentVariable("SANDBOX_ROOT") ?? DefaultPath;
        if (string.IsNullOrWhiteSpace(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"{source}: the state directory must be a path, not '{path}'",
                $"give a directory such as {DefaultPath}, or leave {source} unset for the default");
        }

        var root = new StateRoot(path);
        root.CheckUsable(source);
        return root;
    }

    // statfs f_type of file systems whose files are kernel interfaces, never a place for state.
    private static readonly Dictionary<long, string> PseudoFileSystems = new()
    {
        [0x9fa0] = "proc", [0x62656572] = "sysfs", [0x27e0eb] = "cgroup", [0x63677270] = "cgroup2",
        [0x1cd1] = "devpts", [0x64626720] = "debugfs", [0x74726163] = "tracefs", [0x73636673] = "securityfs",
        [0xcafe4a11] = "bpf", [0x6e736673] = "nsfs", [0x42494e4d] = "binfmt_misc", [0x6165676c] = "pstore",
        [0xde5e81e4] = "efivarfs", [0x19800202] = "mqueue", [0x50495045] = "pipefs",
    };

    private void CheckUsable(string source)
    {
        if (File.Exists(Path) || (System.IO.Path.Exists(Path) && !Directory.Exists(Path)))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"{source}: '{Path}' exists and is not a directory",
                "the state root must be a directory (it is created when missing)");
        }

        // The nearest existing ancestor tells which file system the root is (or would be created) on.
        string probe = Path;
        while (!Directory.Exists(probe) && System.IO.Path.GetDirectoryName(probe) is { } parent)
        {
            probe = parent;
        }

        if (Host.Files.StatFs.Magic(probe, out _) is { } magic && PseudoFileSystems.TryGetValue(magic, out string? fs))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"{source}: '{Path}' is on {fs}, a kernel pseudo file system, not a place for state",
                $"choose a directory on a disk file system, such as {DefaultPath}");
        }
    }

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
        try
        {
            MakeTraversable(Trusted(Directory.CreateDirectory(Path, Traversable)));
            var info = Trusted(Directory.CreateDirectory(dir, traversable ? Traversable : Private));
            if (traversable)
            {
                MakeTraversable(info);
            }
            else if ((info.UnixFileMode & ~Private) != 0)
            {
                info.UnixFileMode = Private;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(dir, e);
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

    /// <summary>A state directory that cannot be created or written (read-only mount, a file in the way, permissions).</summary>
    public SandboxException Unusable(string dir, Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new SandboxException(ErrorKind.HostUnsupported, $"state directory {dir} cannot be created or written: {e.Message}",
            $"the state root ({Path}) must be a writable directory on a local disk; choose another with --root or SANDBOX_ROOT", e);
    }

    /// <summary>
    /// A directory found under the state root is used only if nobody but root could have changed it:
    /// not a symlink, owned by root (the launcher's user), writable by no group or other user.
    /// Anything else is refused rather than repaired, since its content may already be planted.
    /// </summary>
    private static DirectoryInfo Trusted(DirectoryInfo d)
    {
        const UnixFileMode othersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        uint self = (uint)Tmds.Linux.LibC.geteuid();
        string? problem = d.LinkTarget is not null ? $"is a symbolic link (to {d.LinkTarget})"
            : Host.Files.FileOwner.Get(d.FullName).Uid is var uid && uid != self ? $"is owned by uid {uid}, not {self}"
            : (d.UnixFileMode & othersWrite) != 0 ? $"is writable by other users (mode {Convert.ToString((int)d.UnixFileMode & 0xfff, 8)})"
            : null;
        return problem is null ? d : throw new SandboxException(ErrorKind.StateConflict,
            $"state directory {d.FullName} {problem}: another user could change what the sandbox trusts",
            $"remove it, or give it back to root: chown root:root {d.FullName} && chmod go-w {d.FullName}");
    }

    private string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
