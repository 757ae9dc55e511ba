using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>Reads argument indexes and values: decimal, 0x hex, or a name from <see cref="ArgConstants"/>.</summary>
internal static class ArgValueParser
{
    public const int MaxArgIndex = 5;

    public static int Index(YamlReader r, YamlNode node)
    {
        string text = r.Text(node, "arg", "arg is the argument position, 0 to 5");
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index <= MaxArgIndex
            ? index
            : throw r.Fail(node, $"arg '{text}' is not an argument index", "syscalls have at most 6 register arguments: use 0 to 5");
    }

    public static ulong Value(YamlReader r, YamlNode node, string what)
    {
        const string Hint = "write a decimal or 0x-prefixed hex number (unsigned, 64-bit) or a known constant such as AF_UNIX or CLONE_NEWUSER";
        string text = r.Text(node, what, Hint);
        bool isHex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (isHex || char.IsAsciiDigit(text[0]))
        {
            bool ok = isHex
                ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong number)
                : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number);
            return ok ? number : throw r.Fail(node, $"{what} '{text}' is not a valid unsigned 64-bit number", Hint);
        }

        return ArgConstants.TryGetValue(text, out ulong value)
            ? value
            : throw r.Fail(node, $"{what} '{text}' is not a number or a known constant{ProfileError.DidYouMean(text, ArgConstants.Names)}", $"known constants: {string.Join(", ", ArgConstants.Names)}");
    }
}
