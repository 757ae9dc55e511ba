namespace Sandbox.Images;

/// <summary>What the launcher learns about a command before starting the sandbox.</summary>
public enum CommandStatus
{
    Executable,
    NotFound,
    NotExecutable,
    /// <summary>Below a mount the sandbox creates fresh (/tmp, /dev, /proc, /sys): only the engine can tell.</summary>
    Unknown,
}

/// <summary>
/// Resolves paths inside an image's root filesystem the way the kernel would after a chroot:
/// absolute symlink targets restart at the rootfs, ".." never climbs above it. Read-only lookups
/// (lstat/readlink) on the shared image, used to answer 126/127 with a clear message before any
/// engine starts.
/// </summary>
public static class RootfsLookup
{
    private const int MaxSymlinkHops = 40;
    private static readonly string[] FreshMounts = ["/tmp", "/dev", "/proc", "/sys"];

    public static (CommandStatus Status, string? Path) FindCommand(string rootfs, string command, string searchPath)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return (Classify(rootfs, command), command);
        }

        CommandStatus best = CommandStatus.NotFound;
        string? bestPath = null;
        foreach (string dir in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = $"{dir.TrimEnd('/')}/{command}";
            CommandStatus status = Classify(rootfs, candidate);
            if (status is CommandStatus.Executable or CommandStatus.Unknown)
            {
                return (status, candidate);
            }

            if (status == CommandStatus.NotExecutable && best == CommandStatus.NotFound)
            {
                (best, bestPath) = (status, candidate);
            }
        }

        return (best, bestPath);
    }

    /// <summary>Resolves a path inside rootfs; null when it does not exist (or loops).</summary>
    public static string? Resolve(string rootfs, string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        int hops = 0;
        while (pending.TryPop(out string? part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            string host = Path.Combine(rootfs, string.Join('/', resolved), part);
            var info = new FileInfo(host);
            if (!info.Exists && !Directory.Exists(host) && info.LinkTarget is null)
            {
                return null;
            }

            if (info.LinkTarget is { } target)
            {
                if (++hops > MaxSymlinkHops)
                {
                    return null;
                }

                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }

                foreach (string t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(t);
                }

                continue;
            }

            resolved.Add(part);
        }

        return Path.Combine(rootfs, string.Join('/', resolved));
    }

    private static CommandStatus Classify(string rootfs, string path)
    {
        if (FreshMounts.Any(m => path == m || path.StartsWith(m + "/", StringComparison.Ordinal)) || !path.StartsWith('/'))
        {
            return CommandStatus.Unknown; // relative paths depend on the working directory
        }

        string? host = Resolve(rootfs, path);
        if (host is null)
        {
            return CommandStatus.NotFound;
        }

        if (Directory.Exists(host))
        {
            return CommandStatus.NotExecutable;
        }

        const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(host) & AnyExecute) != 0 ? CommandStatus.Executable : CommandStatus.NotExecutable;
    }
}
