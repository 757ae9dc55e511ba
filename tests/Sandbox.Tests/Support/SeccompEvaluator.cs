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
    /// <summary>AUDIT_ARCH_* values the kernel puts in seccomp_data.arch.</summary>
    public const uint AuditArchX86_64 = 0xC000003E, AuditArchI386 = 0x40000003, AuditArchAarch64 = 0xC00000B7, AuditArchArm = 0x40000028;

    /// <summary>x32 calls enter through the x86-64 entry with this bit set in the syscall number.</summary>
    public const uint X32SyscallBit = 0x40000000;

    /// <summary>libseccomp's default bad-architecture action, which runc and crun keep: kill.</summary>
    public static readonly SeccompVerdict BadArchKill = new("SCMP_ACT_KILL_THREAD", null);

    /// <summary>The project's own default profile, as the emitter writes it for the runtimes (built once).</summary>
    public static SeccompEvaluator DefaultProfile => LazyDefault.Value;

    private static readonly Lazy<SeccompEvaluator> LazyDefault = new(() => new SeccompEvaluator(JsonSerializer.Serialize(
        Sandbox.Profiles.OciSeccompEmitter.Emit(Sandbox.Profiles.ProfileCatalog.Resolve("default")), Sandbox.Backends.Container.OciJsonContext.Default.OciSeccomp)));

    private readonly SeccompVerdict defaultVerdict;
    private readonly List<Rule> rules = [];
    private readonly HashSet<string> architectures = [];

    private readonly bool denyWins;

    /// <param name="denyWins">Resolve rules that disagree to the one that does not allow (for a reference
    /// document whose conflicts are known and documented) instead of reporting them.</param>
    public SeccompEvaluator(string json, IReadOnlySet<string>? caps = null, Version? kernel = null, string arch = "amd64", bool denyWins = false)
    {
        this.denyWins = denyWins;
        caps ??= new HashSet<string>();
        kernel ??= new Version(6, 1);
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        defaultVerdict = new(root.GetProperty("defaultAction").GetString()!, OptionalUInt(root, "defaultErrnoRet"));
        if (!CoversX86_64(root))
        {
            throw new InvalidOperationException("the document does not list SCMP_ARCH_X86_64");
        }

        architectures.UnionWith(Architectures(root));

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
            _ when denyWins => matches.First(m => !m.Allows),
            _ => throw new InvalidOperationException($"{syscall}: rules disagree ({string.Join(", ", matches)})"),
        };
    }

    /// <summary>
    /// What the compiled filter does with one raw call as the kernel presents it (audit arch, number),
    /// modelling the architecture check libseccomp puts before the rules: a call from an architecture
    /// the document does not list, or an x32 call (x32 bit set) when SCMP_ARCH_X32 is not listed, takes
    /// the bad-architecture action (kill) without reaching any rule. A listed x86-64 call is looked up
    /// by number; a number the table does not know gets the default action.
    /// </summary>
    public SeccompVerdict EvaluateRaw(uint auditArch, uint nr, params ulong[] args)
    {
        if (auditArch == AuditArchX86_64 && (nr & X32SyscallBit) == 0)
        {
            return ByNumber.Value.TryGetValue((int)nr, out string? name) ? Evaluate(name, args) : defaultVerdict;
        }

        string arch = auditArch switch
        {
            AuditArchX86_64 => "SCMP_ARCH_X32",
            AuditArchI386 => "SCMP_ARCH_X86",
            AuditArchAarch64 => "SCMP_ARCH_AARCH64",
            AuditArchArm => "SCMP_ARCH_ARM",
            _ => throw new ArgumentOutOfRangeException(nameof(auditArch), $"unmodelled audit arch 0x{auditArch:x}"),
        };
        return architectures.Contains(arch)
            ? throw new InvalidOperationException($"{arch} is listed: its syscall table is not modelled")
            : BadArchKill;
    }

    private static readonly Lazy<Dictionary<int, string>> ByNumber = new(() =>
        Sandbox.Profiles.SyscallTable.Names.ToDictionary(n => Sandbox.Profiles.SyscallTable.TryGetNumber(n, out int nr) ? nr : -1));

    private static IEnumerable<string> Architectures(JsonElement root)
    {
        if (root.TryGetProperty("architectures", out JsonElement archs))
        {
            return archs.EnumerateArray().Select(a => a.GetString()!);
        }

        return root.GetProperty("archMap").EnumerateArray().SelectMany(m =>
            m.TryGetProperty("subArchitectures", out JsonElement subs) && subs.ValueKind == JsonValueKind.Array
                ? subs.EnumerateArray().Select(a => a.GetString()!).Append(m.GetProperty("architecture").GetString()!)
                : [m.GetProperty("architecture").GetString()!]);
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
