using Sandbox.Host.Files;

namespace Sandbox.Host;

/// <summary>
/// Finds a tool the launcher runs as root (runc, crun, qemu, mkfs.ext4, mount, unshare, ...) in a
/// fixed list of system directories, never in the caller's PATH: a PATH entry a user can write
/// must not choose what root executes. A candidate counts only if it and every directory above it
/// are owned by root and writable by no one else.
/// </summary>
internal static class ExecutableLocator
{
    /// <summary>The only directories searched, in order (the search path most distributions give root).</summary>
    internal const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static string? Find(string name) => Find(name, DefaultPath);

    /// <summary>Searches <paramref name="pathVariable"/> (tests); <see cref="Find(string)"/> is what the launcher uses.</summary>
    public static string? Find(string name, string? pathVariable)
    {
        string search = string.IsNullOrEmpty(pathVariable) ? DefaultPath : pathVariable;
        foreach (string dir in search.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!dir.StartsWith('/'))
            {
                // A relative PATH entry depends on the current directory; never trust it for a security tool.
                continue;
            }

            string candidate = Path.Combine(dir, name);
            if (IsExecutableFile(candidate) && OnlyRootCanChange(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutableFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return false;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (info.UnixFileMode & anyExecute) != 0;
    }

    // Every component resolved (with merged /usr, /sbin is a link to usr/sbin), then the file and each directory above it.
    private static bool OnlyRootCanChange(string path)
    {
        const UnixFileMode othersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        string? real = Resolve(path);
        for (string? p = real; p is not null; p = Path.GetDirectoryName(p))
        {
            var mode = new FileInfo(p).UnixFileMode;
            if (FileOwner.Get(p).Uid != 0 || ((mode & othersWrite) != 0 && (mode & UnixFileMode.StickyBit) == 0))
            {
                return false;
            }
        }

        return real is not null;
    }

    private static string? Resolve(string path)
    {
        string resolved = "/";
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(resolved, part);
            var info = new FileInfo(next);
            resolved = info.LinkTarget is null ? next : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? next;
            if (resolved.Split('/').Length > 64)
            {
                return null;
            }
        }

        return resolved;
    }
}
