using System.Globalization;

namespace Sandbox.Host.Probes;

/// <summary>
/// A runtime's version as printed by --version, normalized for comparison: Debian epochs ("1:"), repack
/// and build suffixes ("+ds1", "+dfsg") and Debian revisions ("-1", "-1+deb12u1") are dropped; "-rc7",
/// "-rc.3" and Debian's "~rc1" become a prerelease, which sorts before the release it precedes.
/// </summary>
public sealed record RuntimeVersion(int Major, int Minor, int Patch, string? Prerelease, string Text)
    : IComparable<RuntimeVersion>
{
    public static RuntimeVersion? Parse(string text)
    {
        string s = text.Trim();
        if (s.StartsWith('v'))
        {
            s = s[1..];
        }

        int colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && s[..colon].All(char.IsAsciiDigit))
        {
            s = s[(colon + 1)..];
        }

        int plus = s.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            s = s[..plus];
        }

        int lastDash = s.LastIndexOf('-');
        if (lastDash >= 0 && IsDebianRevision(s[(lastDash + 1)..]))
        {
            s = s[..lastDash];
        }

        string? prerelease = null;
        int split = s.IndexOfAny(['~', '-']);
        if (split >= 0)
        {
            prerelease = s[(split + 1)..];
            s = s[..split];
            if (prerelease.Length == 0)
            {
                return null;
            }
        }

        string[] parts = s.Split('.');
        if (parts.Length is < 2 or > 3)
        {
            return null;
        }

        int[] numbers = new int[3];
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 || !parts[i].All(char.IsAsciiDigit)
                || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return new RuntimeVersion(numbers[0], numbers[1], numbers[2], prerelease, text.Trim());
    }

    public int CompareTo(RuntimeVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        int byNumber = (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));
        if (byNumber != 0)
        {
            return byNumber;
        }

        return (Prerelease, other.Prerelease) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            _ => ComparePrerelease(Prerelease, other.Prerelease),
        };
    }

    /// <summary>True for the same major.minor release branch.</summary>
    public bool SameBranch(RuntimeVersion other) => Major == other.Major && Minor == other.Minor;

    public static bool operator <(RuntimeVersion left, RuntimeVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(RuntimeVersion left, RuntimeVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(RuntimeVersion left, RuntimeVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(RuntimeVersion left, RuntimeVersion right) => left.CompareTo(right) >= 0;

    public override string ToString() => Text;

    // "1" (a plain Debian revision) or anything naming a distribution ("1+deb12u1" was cut at '+' already).
    private static bool IsDebianRevision(string suffix) =>
        (suffix.Length > 0 && suffix.All(c => char.IsAsciiDigit(c) || c == '.'))
        || suffix.Contains("deb", StringComparison.Ordinal)
        || suffix.Contains("ubuntu", StringComparison.Ordinal);

    // Natural order over runs of digits and of other characters: rc7 < rc95, rc.2 < rc.3, alpha < beta < rc.
    private static int ComparePrerelease(string left, string right)
    {
        List<string> a = Tokens(left);
        List<string> b = Tokens(right);
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            bool aNum = char.IsAsciiDigit(a[i][0]);
            bool bNum = char.IsAsciiDigit(b[i][0]);
            int c = (aNum, bNum) switch
            {
                (true, true) => CompareDigits(a[i], b[i]),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(a[i], b[i]),
            };
            if (c != 0)
            {
                return c;
            }
        }

        return a.Count.CompareTo(b.Count);
    }

    private static int CompareDigits(string a, string b)
    {
        string x = a.TrimStart('0');
        string y = b.TrimStart('0');
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.CompareOrdinal(x, y);
    }

    private static List<string> Tokens(string s)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < s.Length)
        {
            if (s[i] is '.' or '-' or '~')
            {
                i++;
                continue;
            }

            bool digits = char.IsAsciiDigit(s[i]);
            int start = i;
            while (i < s.Length && s[i] is not ('.' or '-' or '~') && char.IsAsciiDigit(s[i]) == digits)
            {
                i++;
            }

            tokens.Add(s[start..i]);
        }

        return tokens;
    }
}
