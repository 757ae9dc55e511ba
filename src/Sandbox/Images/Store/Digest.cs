using System.Text.RegularExpressions;

namespace Sandbox.Images.Store;

/// <summary>Content digests: only "sha256:" followed by 64 lowercase hex digits is accepted anywhere.</summary>
public static partial class Digest
{
    public static bool IsValid(string? digest) => digest is not null && Pattern().IsMatch(digest);

    /// <summary>The hex part, used as a file name; throws for anything that is not a well-formed digest.</summary>
    public static string Hex(string digest) =>
        IsValid(digest) ? digest[7..] : throw new InvalidDataException($"'{digest}' is not a sha256 digest");

    public static string Abbreviate(string digest) => IsValid(digest) ? digest[7..19] : digest;

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
