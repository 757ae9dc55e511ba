using System.Text;
using Sandbox.Runtime;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>
/// Loads seccomp profiles from YAML. Uses YamlDotNet's representation model (not the reflection
/// deserializer, which is not NativeAOT-safe) and validates strictly: anything unexpected is an
/// InvalidProfile error pointing at source:line:column, because a misread security profile fails open.
/// </summary>
public static class SeccompProfileLoader
{
    /// <summary>Largest accepted profile, in bytes; real profiles are a few KiB.</summary>
    public const int MaxBytes = 1024 * 1024;

    public static SeccompProfile Load(string path)
    {
        byte[] bytes;
        try
        {
            using FileStream stream = File.OpenRead(path);
            // Read at most one byte past the limit: the size is checked on what was read, not on a
            // length that could change between stat and read.
            bytes = new byte[MaxBytes + 1];
            int total = 0, n;
            while (total < bytes.Length && (n = stream.Read(bytes, total, bytes.Length - total)) > 0)
            {
                total += n;
            }

            Array.Resize(ref bytes, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ProfileError.File(path, $"cannot read the profile: {e.Message}", "check the path and its permissions");
        }

        if (bytes.Length > MaxBytes)
        {
            throw TooLarge(path);
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ProfileError.File(path, "the profile is not valid UTF-8", "save the file as UTF-8");
        }

        return Parse(text.TrimStart('\uFEFF'), path);
    }

    public static SeccompProfile Parse(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (Encoding.UTF8.GetByteCount(yaml) > MaxBytes)
        {
            throw TooLarge(sourceName);
        }

        RefuseTabs(yaml, sourceName);
        var stream = new YamlStream();
        try
        {
            stream.Load(new GuardedParser(new Parser(new StringReader(yaml)), sourceName));
        }
        catch (YamlException e)
        {
            throw ProfileError.At(sourceName, e.Start, $"invalid YAML: {e.Message}", "fix the YAML syntax at this position (quotes, brackets, indentation)");
        }

        return stream.Documents.Count switch
        {
            0 => throw ProfileError.At(sourceName, 1, 1, "the profile is empty", "start from profiles/seccomp/default.yaml"),
            1 => ProfileParser.Read(new YamlReader(sourceName), stream.Documents[0].RootNode),
            _ => throw ProfileError.At(sourceName, stream.Documents[1].RootNode.Start, "the file holds more than one YAML document", "keep one profile per file; remove the '---' separator"),
        };
    }

    private static SandboxException TooLarge(string source) =>
        ProfileError.File(source, $"the profile is larger than {MaxBytes / 1024 / 1024} MiB", "a seccomp profile is a few KiB; check that this is the right file");

    // YAML forbids tabs for indentation and they are easy to mix in unseen; refusing them everywhere
    // keeps the rule simple and the column numbers in errors unambiguous.
    private static void RefuseTabs(string yaml, string source)
    {
        int index = yaml.IndexOf('\t', StringComparison.Ordinal);
        if (index < 0)
        {
            return;
        }

        int lineStart = index == 0 ? 0 : yaml.LastIndexOf('\n', index - 1) + 1;
        int line = 1 + yaml.AsSpan(0, index).Count('\n');
        throw ProfileError.At(source, line, index - lineStart + 1, "tab character", "use spaces: profiles must not contain tabs");
    }
}
