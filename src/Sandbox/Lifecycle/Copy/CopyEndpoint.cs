using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// One side of `sandbox cp`: a path in a sandbox (NAME:/path), a host path, or "-" (a tar stream on
/// stdin or stdout). As in docker, an argument is a sandbox path when it has a colon before any slash.
/// </summary>
public sealed record CopyEndpoint(string? Sandbox, string Path)
{
    public bool IsStdio => Sandbox is null && Path == "-";

    public static CopyEndpoint Parse(string arg)
    {
        ArgumentNullException.ThrowIfNull(arg);
        int colon = arg.IndexOf(':', StringComparison.Ordinal);
        int slash = arg.IndexOf('/', StringComparison.Ordinal);
        if (colon <= 0 || (slash >= 0 && slash < colon) || arg.StartsWith('.'))
        {
            return new CopyEndpoint(null, arg);
        }

        string path = arg[(colon + 1)..];
        return path.StartsWith('/') ? new CopyEndpoint(arg[..colon], path)
            : throw new SandboxException(ErrorKind.InvalidArgument, $"cp: '{arg}': the path in the sandbox must be absolute", $"write {arg[..colon]}:/{path}");
    }

    /// <summary>The path's components with "." and empty ones dropped and ".." applied lexically (never above "/"): no link is consulted.</summary>
    public static IReadOnlyList<string> Components(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return parts;
    }
}
