using System.Text.RegularExpressions;

namespace Sandbox.Cli;

/// <summary>
/// System.CommandLine's conversion errors name .NET types ("as expected type
/// 'System.Nullable`1[System.Int32]'"); a user gets the option, the value and what it must be.
/// </summary>
internal static partial class ParseErrorText
{
    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|argument) '(?<name>[^']+)' as expected type '(?<type>[^']+)'\.$", RegexOptions.Singleline)]
    private static partial Regex Conversion();

    public static string Plain(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var m = Conversion().Match(message);
        if (!m.Success)
        {
            return message;
        }

        string type = m.Groups["type"].Value;
        string what = type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) ? "a number"
            : "valid here";
        return $"{m.Groups["name"].Value}: '{Sandbox.Host.Printable.Escape(m.Groups["value"].Value)}' is not {what}";
    }
}
