using System.Globalization;
using System.Text;

namespace Sandbox.Host;

/// <summary>
/// Text from a sandbox (guest console, QEMU's and the runtime's messages, recorded commands and
/// errors) made safe for a terminal before the launcher prints it: control characters (C0, DEL,
/// C1, so no escape sequence can retitle, clear or rewrite the user's terminal) and Unicode
/// direction overrides become visible escapes such as \x1b and \u202e. The workload's own stdout
/// and stderr are not passed through this: they are its bytes.
/// </summary>
public static class Printable
{
    /// <param name="keepNewlines">Whether '\n' stays a line break (multi-line text such as a console tail).</param>
    public static string Escape(string text, bool keepNewlines = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(c => NeedsEscape(c, keepNewlines)))
        {
            return text;
        }

        var s = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (!NeedsEscape(c, keepNewlines))
            {
                s.Append(c);
            }
            else if (c <= 0xff)
            {
                s.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                s.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }

        return s.ToString();
    }

    private static bool NeedsEscape(char c, bool keepNewlines) => c switch
    {
        '\n' => !keepNewlines,
        '\t' => false,
        < ' ' or '\x7f' => true,
        >= '\x80' and <= '\x9f' => true,
        >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069' or '\u200e' or '\u200f' => true,
        _ => false,
    };
}
