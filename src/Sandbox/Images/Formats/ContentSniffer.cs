using System.Globalization;
using System.Text;

namespace Sandbox.Images.Formats;

/// <summary>How an import source's first bytes are packed.</summary>
internal enum Packing
{
    /// <summary>A tar header (ustar, GNU or v7: its checksum holds).</summary>
    Tar,
    Gzip,
    Zstd,
    /// <summary>Anything else: <see cref="ContentSniffer.Describe"/> says what, for the error.</summary>
    Other,
}

/// <summary>
/// Tells from a file's first bytes whether it can be an image (a tar, plain or gzip/zstd compressed)
/// and, when it cannot, what it looks like ("an ELF executable", "a text file"), so a refusal names
/// it. Pure: bytes in, answer out.
/// </summary>
internal static class ContentSniffer
{
    public const int BlockSize = 512;

    public static Packing Classify(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]) ? Packing.Gzip
        : head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd]) ? Packing.Zstd
        : IsTarHeader(head) ? Packing.Tar
        : Packing.Other;

    /// <summary>True when the first 512 bytes are a tar header whose checksum holds.</summary>
    public static bool IsTarHeader(ReadOnlySpan<byte> head)
    {
        if (head.Length < BlockSize || head[0] == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> field = head.Slice(148, 8);
        string text = Encoding.ASCII.GetString(field).Trim(' ', '\0');
        if (text.Length == 0 || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) || text.Any(c => c > '7'))
        {
            return false;
        }

        long stored = Convert.ToInt64(text, 8);
        long sum = 0;
        for (int i = 0; i < BlockSize; i++)
        {
            sum += i is >= 148 and < 156 ? (byte)' ' : head[i];
        }

        return sum == stored;
    }

    /// <summary>True when every byte is zero: a tar with only its end-of-archive blocks.</summary>
    public static bool AllZero(ReadOnlySpan<byte> head) => head.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>What a file that is not a tar looks like, as "an ELF executable" (used in "PATH is X, not an image").</summary>
    public static string Describe(ReadOnlySpan<byte> head, long size)
    {
        if (size == 0)
        {
            return "an empty file (0 bytes)";
        }

        if (head.StartsWith("\u007fELF"u8))
        {
            int type = head.Length >= 18 ? head[16] | (head[17] << 8) : 0;
            return type switch
            {
                1 => "an ELF object file",
                3 => "an ELF executable or shared library",
                4 => "an ELF core dump",
                _ => "an ELF executable",
            };
        }

        if (head.StartsWith("#!"u8))
        {
            return "a script";
        }

        (byte[] Magic, string What)[] known =
        [
            ([0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0], "xz-compressed data (only gzip and zstd are read)"),
            ("BZh"u8.ToArray(), "bzip2-compressed data (only gzip and zstd are read)"),
            ("PK\u0003\u0004"u8.ToArray(), "a zip archive"),
            ([(byte)'7', (byte)'z', 0xbc, 0xaf, 0x27, 0x1c], "a 7-zip archive"),
            ("!<arch>\n"u8.ToArray(), "an ar archive (a .deb?)"),
            ("070701"u8.ToArray(), "a cpio archive"),
            ("hsqs"u8.ToArray(), "a squashfs image"),
            ([0x89, (byte)'P', (byte)'N', (byte)'G'], "a PNG image"),
            ("%PDF"u8.ToArray(), "a PDF document"),
        ];
        foreach (var (magic, what) in known)
        {
            if (head.StartsWith(magic))
            {
                return what;
            }
        }

        if (AllZero(head))
        {
            return size % BlockSize == 0 ? "an empty tar archive (only end-of-archive blocks, no entries)" : "all zero bytes";
        }

        return IsText(head) ? "a text file" : "data of an unknown format";
    }

    // UTF-8 without NUL or control characters other than whitespace; a cut multi-byte sequence at the end is fine.
    private static bool IsText(ReadOnlySpan<byte> head)
    {
        foreach (byte b in head)
        {
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t' or 0x0c) || b == 0x7f)
            {
                return false;
            }
        }

        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
        try
        {
            char[] chars = new char[head.Length];
            decoder.Convert(head, chars, flush: false, out _, out _, out _);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
