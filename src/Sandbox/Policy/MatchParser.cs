using System.Collections.Immutable;
using Sandbox.Profiles;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Policy;

/// <summary>Reads a rule's <c>match:</c> block into conditions, all of which must hold.</summary>
internal static class MatchParser
{
    private static readonly string[] Keys =
        ["trust", "backend", "image", "digest", "labels", "command", "network", "capabilities", "devices", "volumes", "binds", "resources", "kernel", "taintedVolumes", "pathImage"];

    public static ImmutableArray<Condition> Read(YamlReader r, YamlNode node, string rule)
    {
        string what = $"match of {rule}";
        YamlFields f = r.Fields(r.Mapping(node, what), what, [], Keys);
        var conditions = ImmutableArray.CreateBuilder<Condition>();
        foreach (string key in Keys)
        {
            if (f.Optional(key) is not { } value)
            {
                continue;
            }

            string w = $"match.{key} of {rule}";
            switch (key)
            {
                case "trust":
                    conditions.Add(new TrustCondition(PolicyYaml.Choices(r, value, w, PolicyYaml.TrustNames)));
                    break;
                case "backend":
                    conditions.Add(new RequestedBackendCondition(PolicyYaml.Choices(r, value, w, PolicyYaml.RequestedBackendNames)));
                    break;
                case "image" or "digest" or "command" or "network":
                    var fact = key switch { "image" => TextFact.Image, "digest" => TextFact.Digest, "command" => TextFact.Command, _ => TextFact.Network };
                    conditions.Add(new PatternCondition(fact, PolicyYaml.Strings(r, value, w, "give a pattern or a list of patterns ('*' matches anything)")));
                    break;
                case "labels":
                    conditions.Add(Labels(r, value, w));
                    break;
                case "capabilities" or "devices" or "volumes" or "binds" or "pathImage":
                    var set = key switch
                    {
                        "capabilities" => SetFact.Capabilities,
                        "devices" => SetFact.Devices,
                        "volumes" => SetFact.Volumes,
                        "pathImage" => SetFact.PathImage,
                        _ => SetFact.Binds,
                    };
                    conditions.Add(Set(r, value, w, set));
                    break;
                case "resources":
                    conditions.AddRange(Resources(r, value, w));
                    break;
                case "taintedVolumes":
                    conditions.Add(Taint(r, value, w));
                    break;
                default:
                    conditions.Add(Kernel(r, value, w));
                    break;
            }
        }

        return conditions.ToImmutable();
    }

    private static LabelsCondition Labels(YamlReader r, YamlNode node, string what)
    {
        YamlMappingNode map = r.Mapping(node, what);
        var labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach ((YamlNode k, YamlNode v) in map.Children)
        {
            string key = r.Text(k, $"a label name in {what}", "write 'label.name: pattern'");
            labels[key] = r.Text(v, $"label {key} in {what}", "give a value pattern; '*' matches any value");
        }

        return labels.Count > 0 ? new LabelsCondition(labels.ToImmutable()) : throw r.Fail(node, $"{what} is empty", "list at least one 'label: pattern', or remove labels:");
    }

    private static SetCondition Set(YamlReader r, YamlNode node, string what, SetFact fact)
    {
        const string Hint = "write none, any, {anyOf: [patterns]} or {within: [patterns]}";
        if (node is YamlScalarNode)
        {
            string text = r.Text(node, what, Hint);
            return text switch
            {
                "none" => new SetCondition(fact, SetTest.None, []),
                "any" => new SetCondition(fact, SetTest.Any, []),
                _ => throw r.Fail(node, $"{what} '{text}' is not none or any", Hint),
            };
        }

        YamlFields f = r.Fields(r.Mapping(node, what), what, [], ["anyOf", "within"]);
        if (f.Has("anyOf") == f.Has("within"))
        {
            throw r.Fail(node, $"{what} needs exactly one of 'anyOf' or 'within'", Hint);
        }

        return f.Optional("anyOf") is { } any
            ? new SetCondition(fact, SetTest.AnyOf, PolicyYaml.Strings(r, any, $"anyOf of {what}", Hint))
            : new SetCondition(fact, SetTest.Within, PolicyYaml.Strings(r, f["within"], $"within of {what}", Hint, allowEmpty: true));
    }

    private static List<ResourceCondition> Resources(YamlReader r, YamlNode node, string what)
    {
        YamlFields f = r.Fields(r.Mapping(node, what), what, [], ["memory", "cpus", "pids"]);
        var result = new List<ResourceCondition>();
        foreach ((string key, ResourceFact fact) in new[] { ("memory", ResourceFact.Memory), ("cpus", ResourceFact.Cpus), ("pids", ResourceFact.Pids) })
        {
            if (f.Optional(key) is not { } value)
            {
                continue;
            }

            string w = $"{key} of {what}";
            YamlFields c = r.Fields(r.Mapping(value, w), w, [], ["above", "atMost"]);
            if (c.Has("above") == c.Has("atMost"))
            {
                throw r.Fail(value, $"{w} needs exactly one of 'above' or 'atMost'", $"write e.g. '{key}: {{above: {(fact == ResourceFact.Memory ? "2G" : "4")}}}'");
            }

            bool above = c.Has("above");
            YamlNode n = c.Optional("above") ?? c["atMost"];
            double threshold = fact == ResourceFact.Memory
                ? PolicyYaml.Size(r, n, w)
                : PolicyYaml.Number(r, n, w, 0, fact == ResourceFact.Cpus ? 4096 : 1_000_000);
            result.Add(new ResourceCondition(fact, above, threshold));
        }

        return result.Count > 0 ? result : throw r.Fail(node, $"{what} is empty", "give memory, cpus or pids, or remove resources:");
    }

    private static TaintCondition Taint(YamlReader r, YamlNode node, string what)
    {
        const string Hint = "write none, any, rw (a tainted volume asked for read-write) or ro (asked for read-only)";
        string text = r.Text(node, what, Hint);
        return text switch
        {
            "none" => new TaintCondition(TaintTest.None),
            "any" => new TaintCondition(TaintTest.Any),
            "rw" => new TaintCondition(TaintTest.ReadWrite),
            "ro" => new TaintCondition(TaintTest.ReadOnly),
            _ => throw r.Fail(node, $"{what} '{text}' is not a taint test{ProfileError.DidYouMean(text, ["none", "any", "rw", "ro"])}", Hint),
        };
    }

    private static KernelCondition Kernel(YamlReader r, YamlNode node, string what)
    {
        const string Hint = "write none, any, host-provides, host-cannot-provide, or a list of kernel name patterns";
        if (node is YamlSequenceNode)
        {
            return new KernelCondition(KernelTest.Named, PolicyYaml.Strings(r, node, what, Hint));
        }

        string text = r.Text(node, what, Hint);
        return text switch
        {
            "none" => new KernelCondition(KernelTest.None, []),
            "any" => new KernelCondition(KernelTest.Any, []),
            "host-provides" => new KernelCondition(KernelTest.HostProvides, []),
            "host-cannot-provide" => new KernelCondition(KernelTest.HostCannotProvide, []),
            _ => throw r.Fail(node, $"{what} '{text}' is not a kernel test{ProfileError.DidYouMean(text, ["none", "any", "host-provides", "host-cannot-provide"])}", Hint),
        };
    }
}
