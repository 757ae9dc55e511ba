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

    private KernelCatalog(string defaultName, IReadOnlyList<string> preferred, IReadOnlyList<KernelEntry> entries)
    {
        DefaultName = defaultName;
        Preferred = preferred;
        Entries = entries;
    }

    /// <summary>The kernel a run boots when it names none and no preferred kernel is installed.</summary>
    public string DefaultName { get; }

    /// <summary>Kernels used instead of the default when installed (the minimal built ones), first present wins.</summary>
    public IReadOnlyList<string> Preferred { get; }

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

    /// <summary>
    /// The kernel a run that names none boots: the first preferred kernel <paramref name="installed"/>
    /// says is present, else the default.
    /// </summary>
    public KernelEntry Choose(string? name, Func<string, bool> installed) =>
        Get(name ?? Preferred.FirstOrDefault(installed) ?? DefaultName);

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
            // A built kernel names its source package and config fragment; a fetched one its image package.
            KernelBuildSpec? build = map.Children.TryGetValue(new YamlScalarNode("build"), out YamlNode? b) && b is YamlMappingNode bm
                ? new KernelBuildSpec(Text(bm, "source"), Text(bm, "config"))
                : null;
            var image = build is null ? (YamlMappingNode)map["imagePackage"] : null;
            entries.Add(new KernelEntry(
                Text(map, "name"),
                Text(map, "description"),
                [.. ((YamlSequenceNode)map["sources"]).Cast<YamlMappingNode>().Select(s => new AptSource(Text(s, "archive"), Text(s, "suite")))],
                build?.SourcePackage ?? Text(map, "package"),
                image is null ? "" : Text(image, "prefix"),
                image is null ? "" : Text(image, "suffix"),
                List(map, "machine"),
                List(map, "cmdline"),
                List(map, "modules"),
                build,
                map.Children.ContainsKey(new YamlScalarNode("tcgCmdline")) ? List(map, "tcgCmdline") : null));
        }

        string[] preferred = root.Children.ContainsKey(new YamlScalarNode("preferred")) ? List(root, "preferred") : [];
        var names = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        if (names.Count != entries.Count || !names.Contains(defaultName) || !preferred.All(names.Contains))
        {
            throw new InvalidDataException("kernel catalog: names must be unique and the default and preferred kernels must be among them");
        }

        if (entries.Any(e => e.Build is not null && e.Modules.Count > 0))
        {
            throw new InvalidDataException("kernel catalog: a built kernel has everything built in; its modules list must be empty");
        }

        return new KernelCatalog(defaultName, preferred, entries);
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
