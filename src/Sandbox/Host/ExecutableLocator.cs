namespace Sandbox.Host;

/// <summary>Finds a program the way a shell would: the first executable regular file named so in a PATH directory.</summary>
internal static class ExecutableLocator
{
    /// <summary>Used when PATH is unset (the search path most distributions give root).</summary>
    internal const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static string? Find(string name) => Find(name, Environment.GetEnvironmentVariable("PATH"));

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
            if (IsExecutableFile(candidate))
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
}
