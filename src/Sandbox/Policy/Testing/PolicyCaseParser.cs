using System.Collections.Immutable;
using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Volumes;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Policy.Testing;

/// <summary>
/// Reads a policy cases file (docs/policy.md, "Testing a policy"). Strict like the policy loader:
/// an unknown key is an error, because a misspelled expectation would silently check nothing.
/// </summary>
public static class PolicyCaseParser
{
    private const string Noun = "cases file";

    private static readonly string[] WorkloadKeys =
        ["trust", "backend", "image", "digest", "labels", "command", "capabilities", "devices", "volumes", "tainted", "network", "memory", "cpus", "pids", "seccompProfile", "kernel"];

    private static readonly string[] ExpectKeys =
        ["verdict", "rule", "refusal", "backend", "seccompProfile", "network", "kernel", "accelerator", "memory", "cpus", "pids", "capabilities", "devices", "volumes", "binds", "allowEmulation"];

    public static PolicyCaseFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw ProfileError.File(path, Directory.Exists(path) ? "is a directory, not a cases file" : "cases file does not exist",
                "give a YAML file of cases; profiles/policy.tests.yaml is an example");
        }

        return Parse(Profiles.YamlDocument.Decode(Profiles.YamlDocument.ReadBytes(path, PolicyLoader.MaxBytes, Noun), path, Noun), path);
    }

    public static PolicyCaseFile Parse(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var r = new YamlReader(source);
        var root = r.Mapping(Profiles.YamlDocument.ParseSingle(yaml, source, PolicyLoader.MaxBytes, Noun, "start from profiles/policy.tests.yaml"), "the cases file");
        YamlFields f = r.Fields(root, "the cases file", ["cases"], ["description", "host"]);
        DeclaredHostFacts host = f.Optional("host") is { } h ? Host(r, h) : DeclaredHostFacts.Default;
        YamlSequenceNode list = r.Sequence(f["cases"], "cases");
        if (list.Children.Count == 0)
        {
            throw r.Fail(f["cases"], "cases is empty, so nothing would be tested", "add at least one case");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var cases = ImmutableArray.CreateBuilder<PolicyCase>();
        foreach (YamlNode node in list.Children)
        {
            PolicyCase c = Case(r, node);
            if (!names.Add(c.Name))
            {
                throw r.Fail(node, $"case name '{c.Name}' is used twice", "give each case a distinct name: failures are reported by name");
            }

            cases.Add(c);
        }

        return new PolicyCaseFile(source, host, cases.ToImmutable());
    }

    private static DeclaredHostFacts Host(YamlReader r, YamlNode node)
    {
        const string What = "host";
        YamlFields f = r.Fields(r.Mapping(node, What), What, [], ["backends", "accelerator", "hostKernel", "guestKernels"]);
        DeclaredHostFacts d = DeclaredHostFacts.Default;
        return new DeclaredHostFacts(
            f.Optional("backends") is { } b ? PolicyYaml.Choices(r, b, "host.backends", PolicyYaml.BackendNames) : d.Backends,
            f.Optional("accelerator") is { } a ? PolicyYaml.Choices(r, a, "host.accelerator", AcceleratorNames).Single() : d.Accelerator,
            f.Optional("hostKernel") is { } k ? r.Text(k, "host.hostKernel", "the host's kernel release, e.g. 6.1.0-18-amd64") : d.HostKernel,
            f.Optional("guestKernels") is { } g ? PolicyYaml.Strings(r, g, "host.guestKernels", "patterns of guest kernels the host has fetched", allowEmpty: true) : d.GuestKernels);
    }

    private static PolicyCase Case(YamlReader r, YamlNode node)
    {
        YamlMappingNode map = r.Mapping(node, "a case");
        YamlFields f = r.Fields(map, "a case", ["name", "workload", "expect"], []);
        string name = r.Text(f["name"], "case name", "say in a few words what the case checks");
        string what = $"case '{name}'";
        return new PolicyCase(name, (int)map.Start.Line, Workload(r, f["workload"], what), Expect(r, f["expect"], what));
    }

    private static WorkloadFacts Workload(YamlReader r, YamlNode node, string what)
    {
        string w = $"workload of {what}";
        YamlFields f = r.Fields(r.Mapping(node, w), w, ["image"], WorkloadKeys.Where(k => k != "image").ToArray());
        var specs = f.Optional("volumes") is { } v
            ? PolicyYaml.Strings(r, v, $"volumes of {w}", "write each as on the command line: NAME:/path[:ro] or /host/path:/path[:ro]", allowEmpty: true)
                .Select(s => Spec(r, v, s)).ToList()
            : [];
        var tainted = f.Optional("tainted") is { } t
            ? PolicyYaml.Strings(r, t, $"tainted of {w}", "list the volume names an untrusted sandbox has written", allowEmpty: true).ToHashSet(StringComparer.Ordinal)
            : [];
        return new WorkloadFacts
        {
            Trust = f.Optional("trust") is { } tr ? PolicyYaml.Choices(r, tr, $"trust of {w}", PolicyYaml.TrustNames).Single() : TrustLevel.Untrusted,
            RequestedBackend = f.Optional("backend") is { } b ? PolicyYaml.Choices(r, b, $"backend of {w}", PolicyYaml.RequestedBackendNames).Single() : BackendKind.Auto,
            ImageReference = r.Text(f["image"], $"image of {w}", "an image reference, e.g. busybox or registry.example/app:1"),
            ImageDigest = f.Optional("digest") is { } d ? r.Text(d, $"digest of {w}", "sha256:...") : null,
            Labels = f.Optional("labels") is { } l ? Labels(r, l, w) : ImmutableSortedDictionary<string, string>.Empty,
            Command = f.Optional("command") is { } c ? Command(r, c, w) : [],
            Capabilities = Strings(r, f.Optional("capabilities"), $"capabilities of {w}"),
            Devices = Strings(r, f.Optional("devices"), $"devices of {w}"),
            Volumes = [.. specs.Where(s => !s.IsBind).Select(s => s.Source)],
            VolumeRequests = [.. specs.Where(s => !s.IsBind).Select(s => new VolumeRequest(s.Source, s.Target, s.ReadOnly, tainted.Contains(s.Source)))],
            Binds = [.. specs.Where(s => s.IsBind).Select(s => s.Source)],
            Network = f.Optional("network") is { } n ? r.Text(n, $"network of {w}", "none") : "none",
            MemoryBytes = f.Optional("memory") is { } m ? PolicyYaml.Size(r, m, $"memory of {w}") : null,
            Cpus = f.Optional("cpus") is { } cp ? PolicyYaml.Number(r, cp, $"cpus of {w}", 0.01, 4096) : null,
            PidsLimit = f.Optional("pids") is { } p ? (long)PolicyYaml.Number(r, p, $"pids of {w}", 1, 1_000_000) : null,
            SeccompProfile = f.Optional("seccompProfile") is { } s ? r.Text(s, $"seccompProfile of {w}", "a profile name, e.g. default") : null,
            Kernel = f.Optional("kernel") is { } k ? r.Text(k, $"kernel of {w}", "a guest kernel name, e.g. debian-5.10") : null,
            // An absolute path is a directory image, as `sandbox run /some/dir` makes it.
            PathImage = r.Text(f["image"], $"image of {w}", "an image reference") is { } image && image.StartsWith('/') ? image : null,
        };
    }

    private static VolumeSpec Spec(YamlReader r, YamlNode node, string text)
    {
        try
        {
            return VolumeSpec.Parse(text);
        }
        catch (SandboxException e)
        {
            throw r.Fail(node, e.Message, e.Hint ?? "NAME:/path[:ro] or /host/path:/path[:ro]");
        }
    }

    private static CaseExpectation Expect(YamlReader r, YamlNode node, string what)
    {
        string e = $"expect of {what}";
        YamlMappingNode map = r.Mapping(node, e);
        YamlFields f = r.Fields(map, e, [], ExpectKeys);
        if (map.Children.Count == 0)
        {
            throw r.Fail(node, $"{e} is empty, so the case checks nothing", "expect at least a verdict: allowed or refused");
        }

        return new CaseExpectation
        {
            Verdict = f.Optional("verdict") is { } v ? PolicyYaml.Choices(r, v, $"verdict in {e}", Verdicts).Single() : null,
            Rule = f.Optional("rule") is { } ru ? r.Text(ru, $"rule in {e}", "the name of the rule that decides or refuses") : null,
            Refusal = f.Optional("refusal") is { } rf ? PolicyYaml.Choices(r, rf, $"refusal in {e}", RefusalKinds).Single() : null,
            Backend = f.Optional("backend") is { } b ? PolicyYaml.Choices(r, b, $"backend in {e}", PolicyYaml.BackendNames).Select(PolicyNames.Backend).Single() : null,
            SeccompProfile = f.Optional("seccompProfile") is { } s ? r.Text(s, $"seccompProfile in {e}", "a profile name") : null,
            Network = f.Optional("network") is { } n ? r.Text(n, $"network in {e}", "none") : null,
            Kernel = f.Optional("kernel") is { } k ? r.Text(k, $"kernel in {e}", "a guest kernel name") : null,
            Accelerator = f.Optional("accelerator") is { } a ? PolicyYaml.Choices(r, a, $"accelerator in {e}", AcceleratorNames).Select(PolicyNames.Accelerator).Single() : null,
            MemoryBytes = f.Optional("memory") is { } m ? PolicyYaml.Size(r, m, $"memory in {e}") : null,
            Cpus = f.Optional("cpus") is { } c ? PolicyYaml.Number(r, c, $"cpus in {e}", 0.01, 4096) : null,
            PidsLimit = f.Optional("pids") is { } p ? (long)PolicyYaml.Number(r, p, $"pids in {e}", 1, 1_000_000) : null,
            Capabilities = f.Optional("capabilities") is { } cap ? Strings(r, cap, $"capabilities in {e}") : null,
            Devices = f.Optional("devices") is { } dev ? Strings(r, dev, $"devices in {e}") : null,
            Volumes = f.Optional("volumes") is { } vol ? Strings(r, vol, $"volumes in {e}") : null,
            Binds = f.Optional("binds") is { } bi ? Strings(r, bi, $"binds in {e}") : null,
            AllowEmulation = f.Optional("allowEmulation") is { } ae ? PolicyYaml.Bool(r, ae, $"allowEmulation in {e}") : null,
        };
    }

    private static ImmutableArray<string> Strings(YamlReader r, YamlNode? node, string what) =>
        node is null ? [] : PolicyYaml.Strings(r, node, what, $"list the {what}", allowEmpty: true);

    private static ImmutableArray<string> Command(YamlReader r, YamlNode node, string what) =>
        node is YamlScalarNode
            ? [.. r.Text(node, $"command of {what}", "a command line or a list of arguments").Split(' ', StringSplitOptions.RemoveEmptyEntries)]
            : [.. r.Sequence(node, $"command of {what}").Children.Select(c => r.Text(c, $"an argument of the command of {what}", "a word"))];

    private static ImmutableSortedDictionary<string, string> Labels(YamlReader r, YamlNode node, string what)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach ((YamlNode k, YamlNode v) in r.Mapping(node, $"labels of {what}").Children)
        {
            builder[r.Text(k, "a label key", "e.g. sandbox.kernel")] = r.Text(v, "a label value", "text");
        }

        return builder.ToImmutable();
    }

    private static readonly IReadOnlyDictionary<string, string> Verdicts =
        new Dictionary<string, string> { ["allowed"] = "allowed", ["refused"] = "refused" };

    private static readonly IReadOnlyDictionary<string, string> RefusalKinds = new Dictionary<string, string>
    {
        ["denied"] = "denied", ["no-match"] = "no-match", ["not-allowed"] = "not-allowed", ["unavailable"] = "unavailable",
    };

    private static readonly IReadOnlyDictionary<string, Accelerator> AcceleratorNames = new Dictionary<string, Accelerator>
    {
        ["kvm"] = Accelerator.Kvm, ["emulation"] = Accelerator.Emulation, ["none"] = Accelerator.None,
    };

}
