using System.Globalization;

namespace Sandbox.Runtime;

/// <summary>Parses the human quantities users type: sizes ("64M", "1G") and durations ("30s", "500ms").</summary>
public static class Quantities
{
    public static long ParseSize(string text, string flag)
    {
        string t = text.Trim();
        long multiplier = 1;
        char last = t.Length > 0 ? char.ToUpperInvariant(t[^1]) : '\0';
        if (last == 'B' && t.Length > 1)
        {
            t = t[..^1];
            last = char.ToUpperInvariant(t[^1]);
        }

        switch (last)
        {
            case 'K': multiplier = 1L << 10; t = t[..^1]; break;
            case 'M': multiplier = 1L << 20; t = t[..^1]; break;
            case 'G': multiplier = 1L << 30; t = t[..^1]; break;
            case 'T': multiplier = 1L << 40; t = t[..^1]; break;
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0
            || n > long.MaxValue / multiplier)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"{flag}: '{text}' is not a size", "use a positive number with an optional unit: 512k, 64M, 1G");
        }

        return n * multiplier;
    }

    public static TimeSpan ParseDuration(string text, string flag)
    {
        string t = text.Trim();
        (string digits, double scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1.0),
            _ when t.EndsWith('m') => (t[..^1], 60.0),
            _ when t.EndsWith('h') => (t[..^1], 3600.0),
            _ => (t, double.NaN), // a bare number is ambiguous (seconds? milliseconds?): the unit is required
        };
        if (double.IsNaN(scale))
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"{flag}: '{text}' has no unit", $"add one: {t}s, {t}ms, {t}m or {t}h");
        }

        if (!double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n)
            || n <= 0 || double.IsInfinity(n) || n * scale > TimeSpan.FromDays(7).TotalSeconds)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"{flag}: '{text}' is not a duration", "use a positive number with a unit: 500ms, 30s, 5m, 1h (at most 7 days)");
        }

        return TimeSpan.FromSeconds(n * scale);
    }
}
