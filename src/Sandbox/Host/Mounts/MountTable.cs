using System.Text;

namespace Sandbox.Host.Mounts;

/// <summary>Reads /proc/self/mountinfo: which paths are mount points (octal escapes decoded).</summary>
public static class MountTable
{
    public static IReadOnlyList<string> MountPoints()
    {
        var points = new List<string>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 4)
            {
                points.Add(Unescape(fields[4]));
            }
        }

        return points;
    }

    public static bool IsMountPoint(string path) => MountPoints().Contains(Path.TrimEndingDirectorySeparator(path));

    /// <summary>Mount points at or below a directory, deepest first (the order to unmount them in).</summary>
    public static IReadOnlyList<string> Under(string dir)
    {
        string prefix = Path.TrimEndingDirectorySeparator(dir);
        return [.. MountPoints()
            .Where(p => p == prefix || p.StartsWith(prefix + "/", StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(p => p.Length)];
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new StringBuilder();
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> s) => s.Length == 3 && s[0] is >= '0' and <= '7' && s[1] is >= '0' and <= '7' && s[2] is >= '0' and <= '7';
}
