using System.Buffers;
using System.Text;

namespace Sandbox.Host;

/// <summary>
/// Bytes carried in a .NET string without loss (argv, environment, file names from Linux, which are
/// bytes, not text). Valid UTF-8 decodes as usual; each byte of an invalid sequence becomes the lone
/// surrogate U+DC80+byte-0x80 (Python's "surrogateescape"), which no valid UTF-8 can produce, so
/// <see cref="Encode"/> gives back the exact bytes. Such strings must never reach JSON or a
/// terminal as they are: <see cref="IsText"/> tells, <see cref="Display"/> makes them readable.
/// </summary>
public static class ByteString
{
    private const char First = '\uDC80';
    private const char Last = '\uDCFF';

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        var s = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out Rune rune, out int used) == OperationStatus.Done)
            {
                s.Append(rune.ToString());
                bytes = bytes[used..];
            }
            else
            {
                s.Append((char)(First + (bytes[0] - 0x80))); // invalid bytes are always >= 0x80
                bytes = bytes[1..];
            }
        }

        return s.ToString();
    }

    public static byte[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsText(text))
        {
            return Encoding.UTF8.GetBytes(text);
        }

        var bytes = new List<byte>(text.Length + 8);
        Span<byte> rune = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (IsEscape(text, i))
            {
                bytes.Add((byte)(c - First + 0x80));
                continue;
            }

            // A surrogate pair is one rune; any other lone surrogate cannot be bytes and becomes U+FFFD.
            Rune r = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? new Rune(c, text[++i])
                : char.IsSurrogate(c) ? Rune.ReplacementChar
                : new Rune(c);
            int n = r.EncodeToUtf8(rune);
            bytes.AddRange(rune[..n]);
        }

        return [.. bytes];
    }

    /// <summary>True when the string holds no escaped byte, i.e. its bytes were valid UTF-8.</summary>
    public static bool IsText(string text)
    {
        for (int i = 0; text is not null && i < text.Length; i++)
        {
            if (IsEscape(text, i))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Readable text: each escaped byte shows as U+FFFD, as a UTF-8 decoder would show it.</summary>
    public static string Display(string text) =>
        IsText(text) ? text : new string([.. text.Select((c, i) => IsEscape(text, i) ? '\uFFFD' : c)]);

    /// <summary>The exact bytes, lowercase hex: how records and the exec shim carry non-UTF-8 values.</summary>
    public static string Hex(string text) => Convert.ToHexStringLower(Encode(text));

    // A low surrogate in the escape range that is not the second half of a pair (U+10080 is D800 DC80).
    private static bool IsEscape(string text, int i) => text[i] is >= First and <= Last && (i == 0 || !char.IsHighSurrogate(text[i - 1]));
}
