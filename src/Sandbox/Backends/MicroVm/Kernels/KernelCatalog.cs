using System.Reflection;
using Sandbox.Runtime;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// The guest kernel catalog, kernels/catalog.yaml, embedded in the library. Parsed with YamlStream
/// (NativeAOT-safe); a malformed catalog is a build defect, caught by a unit test.
/// </summary>
public sealed class KernelCatalog
{
    private const string ResourceName = "kernels.catalog.yaml";

    private KernelCatalog(string defaultName, IReadOnlyList<KernelEntry> entries)
    {
        DefaultName = defaultName;
        Entries = entries;
    }

    public string DefaultName { get; }

    public IReadOnlyList<KernelEntry> Entries { get; }

    public static KernelCatalog BuiltIn { get; } = Load();

    /// <summary>The entry named <paramref name="name"/> (the default when null), or a 125 error listing the names.</summary>
    public KernelEntry Get(string? name)
    {
        name ??= DefaultName;
        return Entries.FirstOrDefault(e => e.Name == name)
            ?? throw new SandboxException(ErrorKind.InvalidArgument, $"unknown guest kernel '{name}'",
                $"the catalog has: {string.Join(", ", Entries.Select(e => e.Name))} (sandbox kernel ls)");
    }

    public static KernelCatalog Parse(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        string defaultName = Text(root, "default");
        var entries = new List<KernelEntry>();
        foreach (YamlNode node in (YamlSequenceNode)root["kernels"])
        {
            var map = (YamlMappingNode)node;
            var image = (YamlMappingNode)map["imagePackage"];
            entries.Add(new KernelEntry(
                Text(map, "name"),
                Text(map, "description"),
                [.. ((YamlSequenceNode)map["sources"]).Cast<YamlMappingNode>().Select(s => new AptSource(Text(s, "archive"), Text(s, "suite")))],
                Text(map, "package"),
                Text(image, "prefix"),
                Text(image, "suffix"),
                List(map, "machine"),
                List(map, "cmdline"),
                List(map, "modules")));
        }

        if (entries.Select(e => e.Name).Distinct().Count() != entries.Count || entries.All(e => e.Name != defaultName))
        {
            throw new InvalidDataException("kernel catalog: names must be unique and the default must be one of them");
        }

        return new KernelCatalog(defaultName, entries);
    }

    private static KernelCatalog Load()
    {
        using Stream stream = typeof(KernelCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    private static string Text(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? v) && v is YamlScalarNode { Value: { Length: > 0 } s }
            ? s
            : throw new InvalidDataException($"kernel catalog: '{key}' is missing or empty near line {map.Start.Line}");

    private static string[] List(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? v) && v is YamlSequenceNode seq
            ? [.. seq.Cast<YamlScalarNode>().Select(s => s.Value ?? "")]
            : throw new InvalidDataException($"kernel catalog: '{key}' must be a list near line {map.Start.Line}");
}
