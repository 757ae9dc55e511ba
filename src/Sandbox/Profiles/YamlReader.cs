using Sandbox.Runtime;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>Typed access to YAML nodes; every mismatch becomes an error at the node's position.</summary>
internal sealed class YamlReader(string source)
{
    public SandboxException Fail(YamlNode node, string message, string hint) =>
        ProfileError.At(source, node.Start, message, hint);

    public YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode
        ?? throw Fail(node, $"{what} must be a mapping, found {Describe(node)}", $"write {what} as indented 'key: value' lines");

    public YamlSequenceNode Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode
        ?? throw Fail(node, $"{what} must be a list, found {Describe(node)}", $"write {what} as [a, b] or as '- item' lines");

    public YamlScalarNode Scalar(YamlNode node, string what) =>
        node as YamlScalarNode
        ?? throw Fail(node, $"{what} must be a single value, found {Describe(node)}", $"write {what} as plain text on the same line as its key");

    /// <summary>A scalar that is not empty or null after trimming.</summary>
    public string Text(YamlNode node, string what, string hint)
    {
        YamlScalarNode scalar = Scalar(node, what);
        string value = (scalar.Value ?? "").Trim();
        return IsNull(scalar) || value.Length == 0 ? throw Fail(node, $"{what} must not be empty", hint) : value;
    }

    /// <summary>Reads a mapping's entries, refusing keys not in <paramref name="required"/> or <paramref name="optional"/>.</summary>
    public YamlFields Fields(YamlMappingNode map, string what, string[] required, string[] optional)
    {
        var entries = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = Scalar(keyNode, "a key").Value ?? "";
            if (Array.IndexOf(required, key) < 0 && Array.IndexOf(optional, key) < 0)
            {
                string[] all = [.. required, .. optional];
                throw Fail(keyNode, $"unknown key '{key}' in {what}{ProfileError.DidYouMean(key, all)}", $"{what} accepts: {string.Join(", ", all)}");
            }

            entries[key] = value;
        }

        foreach (string key in required)
        {
            if (!entries.ContainsKey(key))
            {
                throw Fail(map, $"{what} is missing the required key '{key}'", $"{what} needs: {string.Join(", ", required)}");
            }
        }

        return new YamlFields(entries);
    }

    // A value is quoted back only as far as it helps to find it: a file that is not YAML at all (a
    // path that named the wrong file) is one long scalar, and an error is no place to print it.
    private static string Excerpt(string value)
    {
        string line = value.ReplaceLineEndings(" ");
        return line.Length <= 60 ? line : line[..60] + $"… ({value.Length} characters)";
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) || string.IsNullOrWhiteSpace(s.Value) => "an empty value",
        YamlScalarNode s => $"'{Excerpt(s.Value!)}'",
        _ => "an unsupported node",
    };

    // YAML's null spellings, only when unquoted: "~" in quotes is text.
    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";
}
