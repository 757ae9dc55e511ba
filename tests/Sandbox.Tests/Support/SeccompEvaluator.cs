using System.Text.Json;

namespace Sandbox.Tests.Support;

/// <summary>
/// Computes the action an OCI (or Docker-format) seccomp JSON document takes for a syscall on x86-64,
/// for a container with the given capabilities and kernel. It models what runc/crun build with
/// libseccomp: includes/excludes (caps, arches, minKernel) select the rules; a rule's comparisons are
/// ANDed unless one argument index repeats, in which case runtimes add each comparison as its own rule
/// (OR). Several matching rules with different outcomes are reported as ambiguous rather than guessed.
/// </summary>
public sealed class SeccompEvaluator
{
    private readonly SeccompVerdict defaultVerdict;
    private readonly List<Rule> rules = [];

    public SeccompEvaluator(string json, IReadOnlySet<string>? caps = null, Version? kernel = null, string arch = "amd64")
    {
        caps ??= new HashSet<string>();
        kernel ??= new Version(6, 1);
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        defaultVerdict = new(root.GetProperty("defaultAction").GetString()!, OptionalUInt(root, "defaultErrnoRet"));
        if (!CoversX86_64(root))
        {
            throw new InvalidOperationException("the document does not list SCMP_ARCH_X86_64");
        }

        foreach (JsonElement entry in root.GetProperty("syscalls").EnumerateArray())
        {
            if (Applies(entry, caps, kernel, arch))
            {
                rules.Add(new Rule(
                    [.. entry.GetProperty("names").EnumerateArray().Select(n => n.GetString()!)],
                    new SeccompVerdict(entry.GetProperty("action").GetString()!, OptionalUInt(entry, "errnoRet")),
                    entry.TryGetProperty("args", out JsonElement args) && args.ValueKind == JsonValueKind.Array
                        ? [.. args.EnumerateArray().Select(Comparison.From)]
                        : []));
            }
        }
    }

    public SeccompVerdict Evaluate(string syscall, params ulong[] args)
    {
        var full = new ulong[6];
        args.CopyTo(full, 0);
        SeccompVerdict[] matches = [.. rules.Where(r => r.Names.Contains(syscall) && r.Matches(full)).Select(r => r.Verdict).Distinct()];
        return matches.Length switch
        {
            0 => defaultVerdict,
            1 => matches[0],
            _ => throw new InvalidOperationException($"{syscall}: rules disagree ({string.Join(", ", matches)})"),
        };
    }

    private static bool CoversX86_64(JsonElement root)
    {
        if (root.TryGetProperty("architectures", out JsonElement archs))
        {
            return archs.EnumerateArray().Any(a => a.GetString() == "SCMP_ARCH_X86_64");
        }

        return root.TryGetProperty("archMap", out JsonElement map)
            && map.EnumerateArray().Any(m => m.GetProperty("architecture").GetString() == "SCMP_ARCH_X86_64");
    }

    private static bool Applies(JsonElement entry, IReadOnlySet<string> caps, Version kernel, string arch)
    {
        if (entry.TryGetProperty("includes", out JsonElement inc))
        {
            foreach (JsonProperty p in inc.EnumerateObject())
            {
                bool ok = p.Name switch
                {
                    "caps" => Strings(p.Value).All(caps.Contains),
                    "arches" => Strings(p.Value).Contains(arch),
                    "minKernel" => kernel >= Version.Parse(p.Value.GetString()!),
                    _ => throw new InvalidOperationException($"unmodelled includes.{p.Name}"),
                };
                if (!ok)
                {
                    return false;
                }
            }
        }

        if (entry.TryGetProperty("excludes", out JsonElement exc))
        {
            foreach (JsonProperty p in exc.EnumerateObject())
            {
                bool excluded = p.Name switch
                {
                    "caps" => Strings(p.Value).Any(caps.Contains),
                    "arches" => Strings(p.Value).Contains(arch),
                    _ => throw new InvalidOperationException($"unmodelled excludes.{p.Name}"),
                };
                if (excluded)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!);

    private static uint? OptionalUInt(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetUInt32() : null;

    private sealed record Rule(HashSet<string> Names, SeccompVerdict Verdict, Comparison[] Args)
    {
        public bool Matches(ulong[] args)
        {
            bool indexRepeats = Args.GroupBy(a => a.Index).Any(g => g.Count() > 1);
            return Args.Length == 0 || (indexRepeats ? Args.Any(a => a.Test(args)) : Args.All(a => a.Test(args)));
        }
    }

    private sealed record Comparison(int Index, string Op, ulong Value, ulong ValueTwo)
    {
        public static Comparison From(JsonElement e) => new(
            e.GetProperty("index").GetInt32(),
            e.GetProperty("op").GetString()!,
            e.GetProperty("value").GetUInt64(),
            e.TryGetProperty("valueTwo", out JsonElement two) ? two.GetUInt64() : 0);

        public bool Test(ulong[] args)
        {
            ulong a = args[Index];
            return Op switch
            {
                "SCMP_CMP_NE" => a != Value,
                "SCMP_CMP_LT" => a < Value,
                "SCMP_CMP_LE" => a <= Value,
                "SCMP_CMP_EQ" => a == Value,
                "SCMP_CMP_GE" => a >= Value,
                "SCMP_CMP_GT" => a > Value,
                "SCMP_CMP_MASKED_EQ" => (a & Value) == ValueTwo,
                _ => throw new InvalidOperationException($"unknown op {Op}"),
            };
        }
    }
}
