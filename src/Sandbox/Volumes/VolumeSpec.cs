using Sandbox.Runtime;

namespace Sandbox.Volumes;

/// <summary>
/// One `-v SOURCE:/path[:ro|rw]` request. SOURCE is a volume name, or an absolute host path for a
/// bind mount (a separate feature that policy gates and the backends do not offer yet).
/// </summary>
public sealed record VolumeSpec(string Source, string Target, bool ReadOnly)
{
    public bool IsBind => Source.StartsWith('/');

    private static readonly string[] FreshTrees = ["/proc", "/sys", "/dev"];

    public static VolumeSpec Parse(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length is < 2 or > 3)
        {
            throw Invalid(text, "use NAME:/path or NAME:/path:ro");
        }

        if (parts[0].StartsWith('.'))
        {
            throw Invalid(text, "a host path must be absolute; a volume name starts with a letter or digit");
        }

        if (!parts[0].StartsWith('/'))
        {
            VolumeName.Validate(parts[0]);
        }

        bool readOnly = parts.Length == 3 && parts[2] switch
        {
            "ro" => true,
            "rw" => false,
            _ => throw Invalid(text, "the mode is ro or rw"),
        };
        string target = parts[1];
        if (target.Any(char.IsControl))
        {
            throw Invalid(text.ReplaceLineEndings(" "), "the mount point cannot contain control characters (newline, tab, ...)");
        }

        string[] components = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!target.StartsWith('/') || components.Length == 0 || components.Any(c => c is "." or ".."))
        {
            throw Invalid(text, "the mount point must be an absolute path without . or .. components, and not /");
        }

        string normalized = "/" + string.Join('/', components);
        if (FreshTrees.Any(t => normalized == t || normalized.StartsWith(t + "/", StringComparison.Ordinal)))
        {
            throw Invalid(text, "/proc, /sys and /dev are always fresh kernel trees; mount somewhere else");
        }

        return new VolumeSpec(parts[0], normalized, readOnly);
    }

    /// <summary>Refuses two mounts at one place or one inside another: a volume's content must never steer another mount.</summary>
    public static void CheckDisjoint(IReadOnlyList<VolumeSpec> specs)
    {
        foreach (var a in specs)
        {
            foreach (var b in specs)
            {
                if (!ReferenceEquals(a, b) && (a.Target == b.Target || b.Target.StartsWith(a.Target + "/", StringComparison.Ordinal)))
                {
                    throw new SandboxException(ErrorKind.InvalidArgument,
                        $"-v: {b.Target} is at or inside {a.Target}", "give every volume its own mount point, none inside another");
                }
            }
        }
    }

    private static SandboxException Invalid(string text, string hint) =>
        new(ErrorKind.InvalidArgument, $"-v {text}: not a valid volume mount", hint);
}
