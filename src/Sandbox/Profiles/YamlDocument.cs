using System.Text;
using Sandbox.Runtime;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>
/// Reads one strictly checked YAML document (a seccomp profile or a policy): bounded size, UTF-8,
/// no tabs, no anchors, no duplicate keys, exactly one document. <paramref name="noun"/> names the
/// kind of file in messages ("profile", "policy").
/// </summary>
internal static class YamlDocument
{
    /// <summary>Reads at most <paramref name="maxBytes"/> from <paramref name="path"/>; a longer file is refused.</summary>
    public static byte[] ReadBytes(string path, int maxBytes, string noun)
    {
        byte[] bytes;
        try
        {
            using FileStream stream = File.OpenRead(path);
            // Read at most one byte past the limit: the size is checked on what was read, not on a
            // length that could change between stat and read.
            bytes = new byte[maxBytes + 1];
            int total = 0, n;
            while (total < bytes.Length && (n = stream.Read(bytes, total, bytes.Length - total)) > 0)
            {
                total += n;
            }

            Array.Resize(ref bytes, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ProfileError.File(path, $"cannot read the {noun}: {e.Message}", "check the path and its permissions");
        }

        return bytes.Length > maxBytes ? throw TooLarge(path, maxBytes, noun) : bytes;
    }

    public static string Decode(byte[] bytes, string source, string noun)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw ProfileError.File(source, $"the {noun} is not valid UTF-8", "save the file as UTF-8");
        }
    }

    /// <summary>The root node of the single document in <paramref name="yaml"/>.</summary>
    public static YamlNode ParseSingle(string yaml, string source, int maxBytes, string noun, string emptyHint)
    {
        if (Encoding.UTF8.GetByteCount(yaml) > maxBytes)
        {
            throw TooLarge(source, maxBytes, noun);
        }

        RefuseTabs(yaml, source, noun);
        var stream = new YamlStream();
        try
        {
            stream.Load(new GuardedParser(new Parser(new StringReader(yaml)), source, noun));
        }
        catch (YamlException e)
        {
            throw ProfileError.At(source, e.Start, $"invalid YAML: {e.Message}", "fix the YAML syntax at this position (quotes, brackets, indentation)");
        }

        return stream.Documents.Count switch
        {
            0 => throw ProfileError.At(source, 1, 1, $"the {noun} is empty", emptyHint),
            1 => stream.Documents[0].RootNode,
            _ => throw ProfileError.At(source, stream.Documents[1].RootNode.Start, "the file holds more than one YAML document", $"keep one {noun} per file; remove the '---' separator"),
        };
    }

    private static SandboxException TooLarge(string source, int maxBytes, string noun) =>
        ProfileError.File(source, $"the {noun} is larger than {maxBytes / 1024 / 1024} MiB", $"a {noun} is a few KiB; check that this is the right file");

    // YAML forbids tabs for indentation and they are easy to mix in unseen; refusing them everywhere
    // keeps the rule simple and the column numbers in errors unambiguous.
    private static void RefuseTabs(string yaml, string source, string noun)
    {
        int index = yaml.IndexOf('\t', StringComparison.Ordinal);
        if (index < 0)
        {
            return;
        }

        int lineStart = index == 0 ? 0 : yaml.LastIndexOf('\n', index - 1) + 1;
        int line = 1 + yaml.AsSpan(0, index).Count('\n');
        throw ProfileError.At(source, line, index - lineStart + 1, "tab character", $"use spaces: a {noun} must not contain tabs");
    }
}
