namespace Sandbox.Tests.Support;

/// <summary>
/// Every path under a state root with its kind and size, so a refused command can be shown to have left
/// the root exactly as it was (directories created, temporary files, blobs and image copies all show).
/// </summary>
public static class StateSnapshot
{
    /// <param name="except">Top-level names left out (e.g. audit, which records refusals by design).</param>
    public static string Of(string root, params string[] except)
    {
        if (!Directory.Exists(root))
        {
            return "(absent)";
        }

        return string.Join('\n', Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p))
            .Where(p => !except.Contains(p.Split('/')[0]))
            .Order(StringComparer.Ordinal)
            .Select(p => Directory.Exists(Path.Combine(root, p)) ? p + "/" : $"{p} {new FileInfo(Path.Combine(root, p)).Length}"));
    }
}
