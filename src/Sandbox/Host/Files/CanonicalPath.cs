namespace Sandbox.Host.Files;

/// <summary>
/// Absolute paths in their one spelling: "/" or "/a/b", with no "." or ".." component, no empty
/// one ("//", a trailing "/") and no NUL. A working directory must be canonical before anything
/// resolves it, so no prefix check can be fooled by "/tmp/../proc/self/fd/7" (CVE-2024-21626).
/// </summary>
public static class CanonicalPath
{
    /// <summary>Why <paramref name="path"/> is not canonical, or null when it is.</summary>
    public static string? Problem(string path)
    {
        if (!path.StartsWith('/'))
        {
            return "is not an absolute path";
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL byte";
        }

        if (path == "/")
        {
            return null;
        }

        foreach (string part in path[1..].Split('/'))
        {
            switch (part)
            {
                case "":
                    return "has an empty component ('//' or a trailing '/')";
                case "." or "..":
                    return $"has a '{part}' component";
            }
        }

        return null;
    }
}
