using System.Reflection;
using System.Text;
using Sandbox.Digests;
using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox.Policy;

/// <summary>
/// Loads policies: the built-in one (profiles/policy.yaml, embedded) or a file given with --policy.
/// Strict like the profile loader: unknown keys, wrong types, tabs, duplicates, anchors and
/// oversized files are errors at file:line:column with a hint, because a misread policy fails open.
/// </summary>
public static class PolicyLoader
{
    /// <summary>Largest accepted policy, in bytes.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>How the built-in policy is named in decisions, explain output and the audit log.</summary>
    public const string BuiltinSource = "builtin:profiles/policy.yaml";

    private const string Noun = "policy";
    private const string ResourceName = "profiles.policy.yaml";

    public static PolicyDocument Builtin()
    {
        using Stream stream = typeof(PolicyLoader).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new SandboxException(ErrorKind.InvalidProfile, "the built-in policy is missing from this build", "rebuild with make build");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return FromBytes(buffer.ToArray(), BuiltinSource);
    }

    /// <summary>The built-in policy's exact text, for `policy explain` of where a rule comes from and for docs.</summary>
    public static string BuiltinText()
    {
        using Stream stream = typeof(PolicyLoader).Assembly.GetManifestResourceStream(ResourceName)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>--policy FILE, or the built-in policy when <paramref name="path"/> is null.</summary>
    public static PolicyDocument Resolve(string? path) => path is null ? Builtin() : Load(path);

    /// <summary>What `policy test` and `policy diff` accept for a policy: a file, or the word "builtin".</summary>
    public const string BuiltinName = "builtin";

    /// <summary>A policy named on the command line, and its exact text (for a rule-by-rule diff).</summary>
    public static (PolicyDocument Policy, string Text) Named(string pathOrBuiltin)
    {
        ArgumentNullException.ThrowIfNull(pathOrBuiltin);
        if (pathOrBuiltin == BuiltinName)
        {
            return (Builtin(), BuiltinText());
        }

        PolicyDocument policy = Load(pathOrBuiltin);
        return (policy, File.ReadAllText(pathOrBuiltin, Encoding.UTF8));
    }

    public static PolicyDocument Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw ProfileError.File(path, "policy file does not exist", "give the path of a policy YAML file; profiles/policy.yaml is the built-in one to start from");
        }

        return FromBytes(YamlDocument.ReadBytes(path, MaxBytes, Noun), path);
    }

    public static PolicyDocument Parse(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return FromBytes(Encoding.UTF8.GetBytes(yaml), source);
    }

    private static PolicyDocument FromBytes(byte[] bytes, string source)
    {
        if (bytes.Length > MaxBytes)
        {
            throw ProfileError.File(source, $"the {Noun} is larger than {MaxBytes / 1024 / 1024} MiB", "a policy is a few KiB; check that this is the right file");
        }

        string sha = Convert.ToHexStringLower(SmallSha256.HashData(bytes));
        string text = YamlDocument.Decode(bytes, source, Noun);
        var root = YamlDocument.ParseSingle(text, source, MaxBytes, Noun, "start from the built-in profiles/policy.yaml (docs/policy.md explains it)");
        return PolicyParser.Read(new YamlReader(source), root, source, sha);
    }
}
