using YamlDotNet.RepresentationModel;

namespace Sandbox.Profiles;

/// <summary>The validated entries of one mapping, by key.</summary>
internal sealed class YamlFields(Dictionary<string, YamlNode> entries)
{
    /// <summary>A key the caller listed as required; <see cref="YamlReader.Fields"/> already checked it is present.</summary>
    public YamlNode this[string key] => entries[key];

    public YamlNode? Optional(string key) => entries.GetValueOrDefault(key);

    public bool Has(string key) => entries.ContainsKey(key);
}
