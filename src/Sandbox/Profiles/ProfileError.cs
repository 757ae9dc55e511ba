using Sandbox.Runtime;
using YamlDotNet.Core;

namespace Sandbox.Profiles;

/// <summary>Builds InvalidProfile errors that point at "source:line:column" like a compiler does.</summary>
internal static class ProfileError
{
    public static SandboxException At(string source, Mark mark, string message, string hint) =>
        new(ErrorKind.InvalidProfile, $"{source}:{mark.Line}:{mark.Column}: {message}", hint);

    public static SandboxException At(string source, long line, long column, string message, string hint) =>
        new(ErrorKind.InvalidProfile, $"{source}:{line}:{column}: {message}", hint);

    /// <summary>For problems with the file as a whole (missing, too large), where no position applies.</summary>
    public static SandboxException File(string source, string message, string hint) =>
        new(ErrorKind.InvalidProfile, $"{source}: {message}", hint);

    /// <summary>" (did you mean 'x'?)" when a candidate is close to <paramref name="wrong"/>, else "".</summary>
    public static string DidYouMean(string wrong, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int d = Distance(wrong, candidate);
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        return best is not null && bestDistance <= Math.Clamp(wrong.Length / 3, 2, 3)
            ? $" (did you mean '{best}'?)"
            : "";
    }

    // Levenshtein distance, case-insensitive so "af_unix" suggests "AF_UNIX".
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
