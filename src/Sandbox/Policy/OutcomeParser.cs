using System.Collections.Immutable;
using Sandbox.Profiles;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Policy;

/// <summary>Reads an allow rule's <c>decide:</c> block. Anything left out takes the strictest value.</summary>
internal static class OutcomeParser
{
    private static readonly string[] Keys =
        ["backend", "seccompProfile", "capabilities", "devices", "network", "limits", "kernel", "kernels", "volumes", "binds", "allowEmulation", "templates"];

    public static RuleOutcome Read(YamlReader r, YamlNode node, string rule)
    {
        string what = $"decide of {rule}";
        YamlFields f = r.Fields(r.Mapping(node, what), what, ["backend"], Keys[1..]);
        var backends = PolicyYaml.Choices(r, f["backend"], $"decide.backend of {rule}", PolicyYaml.BackendNames);
        if (backends.Distinct().Count() != backends.Length)
        {
            throw r.Fail(f["backend"], $"decide.backend of {rule} lists a backend twice", "list each backend once; the first is the default");
        }

        bool vm = backends.Contains(BackendKind.MicroVm);
        string seccomp = f.Optional("seccompProfile") is { } s ? Seccomp(r, s, rule) : "default";
        var networks = f.Optional("network") is { } n ? PolicyYaml.Choices(r, n, $"decide.network of {rule}", PolicyYaml.NetworkNames) : ["none"];
        ResourceLimits ceilings = f.Optional("limits") is { } l ? Limits(r, l, rule) : ResourceLimits.Default;

        string? kernel = f.Optional("kernel") is { } k ? VmOnly(r, k, vm, "kernel", rule) : null;
        ImmutableArray<string> kernels = f.Optional("kernels") is { } ks
            ? VmOnlyList(r, ks, vm, "kernels", rule)
            : [];
        if (vm && kernel is null)
        {
            kernel = "default"; // the kernel catalog's default guest kernel
        }

        bool emulation = f.Optional("allowEmulation") is { } e && PolicyYaml.Bool(r, e, $"decide.allowEmulation of {rule}");
        if (emulation && !vm)
        {
            throw r.Fail(f["allowEmulation"]!, $"decide.allowEmulation of {rule} only applies to the microvm backend", "remove it, or add microvm to decide.backend");
        }

        // VM templates (docs/templates.md): on unless the rule says templates: false.
        bool templates = f.Optional("templates") is not { } t || PolicyYaml.Bool(r, t, $"decide.templates of {rule}");
        if (f.Optional("templates") is not null && !vm)
        {
            throw r.Fail(f["templates"]!, $"decide.templates of {rule} only applies to the microvm backend", "remove it, or add microvm to decide.backend");
        }

        return new RuleOutcome(
            backends,
            seccomp,
            Capabilities(r, f.Optional("capabilities"), rule),
            List(r, f.Optional("devices"), $"decide.devices of {rule}", "list host device paths the workload may be given, e.g. [/dev/fuse]"),
            networks,
            ceilings,
            kernel,
            kernels,
            List(r, f.Optional("volumes"), $"decide.volumes of {rule}", "list patterns of volume names the workload may mount, e.g. ['*']"),
            List(r, f.Optional("binds"), $"decide.binds of {rule}", "list patterns of host paths the workload may bind-mount, e.g. [/srv/data/*]"),
            emulation,
            templates);
    }

    private static ImmutableArray<string> List(YamlReader r, YamlNode? node, string what, string hint) =>
        node is null ? [] : PolicyYaml.Strings(r, node, what, hint, allowEmpty: true);

    private static ImmutableArray<string> Capabilities(YamlReader r, YamlNode? node, string rule)
    {
        const string Hint = "list capability names such as [CAP_NET_BIND_SERVICE]; leave out for none";
        var caps = List(r, node, $"decide.capabilities of {rule}", Hint);
        var items = node is YamlSequenceNode s ? s.Children : node is null ? [] : (IList<YamlNode>)[node];
        foreach ((YamlNode item, string cap) in items.Zip(caps))
        {
            if (!cap.StartsWith("CAP_", StringComparison.Ordinal) || cap.Length < 5 || !cap.Skip(4).All(c => char.IsAsciiLetterUpper(c) || c == '_'))
            {
                throw r.Fail(item, $"'{cap}' is not a capability name", Hint);
            }
        }

        return caps;
    }

    private static string Seccomp(YamlReader r, YamlNode node, string rule)
    {
        string name = r.Text(node, $"decide.seccompProfile of {rule}", "give a built-in profile name, e.g. default");
        bool isPath = name.StartsWith('/');
        if (!isPath && !ProfileCatalog.Names.Contains(name))
        {
            throw r.Fail(node, $"unknown seccomp profile '{name}' in {rule}{ProfileError.DidYouMean(name, ProfileCatalog.Names)}", $"built-in profiles: {string.Join(", ", ProfileCatalog.Names)}; or an absolute path to a .yaml file");
        }

        return name;
    }

    private static ResourceLimits Limits(YamlReader r, YamlNode node, string rule)
    {
        string what = $"decide.limits of {rule}";
        YamlFields f = r.Fields(r.Mapping(node, what), what, [], ["memory", "cpus", "pids", "tmpfs", "openFiles", "timeout", "volumeSize"]);
        var d = ResourceLimits.Default;
        var limits = new ResourceLimits(
            MemoryBytes: f.Optional("memory") is { } m ? PolicyYaml.Size(r, m, $"memory in {what}") : d.MemoryBytes,
            PidsLimit: f.Optional("pids") is { } p ? (long)PolicyYaml.Number(r, p, $"pids in {what}", 1, 1_000_000) : d.PidsLimit,
            Cpus: f.Optional("cpus") is { } c ? PolicyYaml.Number(r, c, $"cpus in {what}", 0.01, 4096) : d.Cpus,
            TmpfsBytes: f.Optional("tmpfs") is { } t ? PolicyYaml.Size(r, t, $"tmpfs in {what}") : d.TmpfsBytes,
            OpenFiles: f.Optional("openFiles") is { } o ? (ulong)PolicyYaml.Number(r, o, $"openFiles in {what}", 16, 1_048_576) : d.OpenFiles);
        return limits with
        {
            Timeout = f.Optional("timeout") is { } t2 ? PolicyYaml.Duration(r, t2, $"timeout in {what}") : d.Timeout,
            VolumeBytes = f.Optional("volumeSize") is { } v ? PolicyYaml.Size(r, v, $"volumeSize in {what}") : d.VolumeBytes,
        };
    }

    private static string VmOnly(YamlReader r, YamlNode node, bool vm, string key, string rule) =>
        vm ? r.Text(node, $"decide.{key} of {rule}", "give a guest kernel name from the kernel catalog")
           : throw r.Fail(node, $"decide.{key} of {rule} only applies to the microvm backend", "containers share the host kernel; remove it or add microvm to decide.backend");

    private static ImmutableArray<string> VmOnlyList(YamlReader r, YamlNode node, bool vm, string key, string rule) =>
        vm ? PolicyYaml.Strings(r, node, $"decide.{key} of {rule}", "list kernel name patterns the workload may ask for, e.g. ['*']")
           : throw r.Fail(node, $"decide.{key} of {rule} only applies to the microvm backend", "containers share the host kernel; remove it or add microvm to decide.backend");
}
