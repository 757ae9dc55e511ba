using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Sandbox.Runtime;

namespace Sandbox.Profiles.Import;

/// <summary>An imported profile: its YAML (loads with <see cref="SeccompProfileLoader"/>), the profile, and what was left out and why.</summary>
public sealed record ImportResult(string Yaml, SeccompProfile Profile, IReadOnlyList<string> Notes);

/// <summary>
/// Turns a Docker/OCI seccomp JSON profile into this project's YAML, for the workload sandboxes run:
/// x86-64, no capabilities. Entries for other architectures or that need a capability are left out
/// (they never apply here), 32-bit-only names are left out, and each rule keeps its exact meaning:
/// EQ values of one argument merge into 'in', MASKED_EQ becomes maskedEq, NE becomes notEq,
/// comparisons on several arguments become a when list, and a repeated argument (which runtimes
/// turn into OR) becomes one group per comparison. What cannot be expressed exactly (LT/GT
/// comparisons, notify/trace actions) is refused, naming the entry, rather than approximated.
/// Every group's why says it was imported and must be reviewed.
/// </summary>
public static class DockerProfileImporter
{
    public const string ReviewMark = "IMPORTED, TO REVIEW:";

    private sealed record Verdict(SeccompAction Action, string? Errno);

    private sealed record Rule(string Syscall, Verdict Verdict, ArgCondition? When, string Origin);

    /// <summary>The largest profile read (Docker's default is ~20 KiB).</summary>
    public const int MaxBytes = 4 << 20;

    /// <summary>Reads at most <see cref="MaxBytes"/> (a huge file or /dev/zero is refused by name, not read to its end).</summary>
    public static ImportResult ImportFile(string path, string name) =>
        Import(YamlDocument.Decode(YamlDocument.ReadBytes(path, MaxBytes, "seccomp profile"), path, "seccomp profile"), path, name);

    public static ImportResult Import(string json, string source, string name)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        var notes = new List<string>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Fail(source, $"is not JSON: {e.Message}", "give a Docker/OCI seccomp profile such as /usr/share/containers/seccomp.json");
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("defaultAction", out JsonElement da) || !root.TryGetProperty("syscalls", out JsonElement list))
            {
                throw Fail(source, "is not a seccomp profile (no defaultAction or syscalls)", "give a Docker/OCI seccomp profile");
            }

            RequireX86_64(root, source);
            Verdict defaults = ReadVerdict(da.GetString() ?? "", root, "defaultErrnoRet", source, "defaultAction");
            if (defaults.Action == SeccompAction.Allow)
            {
                throw Fail(source, "has defaultAction SCMP_ACT_ALLOW (a denylist)", "profiles here are allowlists: deny by default and list what runs");
            }

            var rules = new List<Rule>();
            int index = 0;
            foreach (JsonElement entry in list.EnumerateArray())
            {
                index++;
                rules.AddRange(ReadEntry(entry, index, source, notes));
            }

            List<Rule> kept = Normalize(rules, defaults, source, notes);
            string yaml = ProfileYamlWriter.Write(Profile(kept, defaults, name, source), $"Imported from {source} by `sandbox profile import`; every group is marked {ReviewMark.TrimEnd(':')}.");
            SeccompProfile profile = SeccompProfileLoader.Parse(yaml, $"{name}.yaml (imported from {source})");
            return new ImportResult(yaml, profile, notes);
        }
    }

    private static List<Rule> ReadEntry(JsonElement entry, int index, string source, List<string> notes)
    {
        string[] names = entry.TryGetProperty("names", out JsonElement n) ? [.. n.EnumerateArray().Select(x => x.GetString() ?? "")]
            : entry.TryGetProperty("name", out JsonElement one) ? [one.GetString() ?? ""] : [];
        string comment = entry.TryGetProperty("comment", out JsonElement c) && c.GetString() is { Length: > 0 } text ? $" ({text})" : "";
        string origin = $"entry {index}{comment}";
        if (Skip(entry, out string? why, source, origin))
        {
            notes.Add($"{origin} [{string.Join(", ", names.Take(4))}{(names.Length > 4 ? ", ..." : "")}]: left out, {why}");
            return [];
        }

        if (entry.TryGetProperty("includes", out JsonElement inc) && inc.TryGetProperty("minKernel", out JsonElement mk))
        {
            notes.Add($"{origin}: kept; the source applies it only on kernels >= {mk.GetString()}");
        }

        Verdict verdict = ReadVerdict(entry.GetProperty("action").GetString() ?? "", entry, "errnoRet", source, origin);
        string[] known = [.. names.Where(x => SyscallTable.TryGetNumber(x, out _))];
        string[] unknown = [.. names.Where(x => !SyscallTable.TryGetNumber(x, out _))];
        if (unknown.Length > 0)
        {
            notes.Add($"{origin}: left out {string.Join(", ", unknown)}: not x86-64 syscalls (other architectures or 32-bit variants)");
        }

        var comparisons = entry.TryGetProperty("args", out JsonElement args) && args.ValueKind == JsonValueKind.Array
            ? args.EnumerateArray().Select(a => Comparison(a, source, origin)).ToList()
            : [];
        IEnumerable<ArgCondition?> conditions;
        if (comparisons.Count == 0)
        {
            conditions = [null];
        }
        else if (comparisons.GroupBy(x => x.Arg).Any(g => g.Count() > 1))
        {
            conditions = comparisons; // runtimes add each comparison of a repeated argument as its own rule (OR)
        }
        else
        {
            conditions = [comparisons.Count == 1 ? comparisons[0] : new ArgAllOf([.. comparisons.OrderBy(x => x.Arg)])];
        }

        return conditions.SelectMany(when => known.Select(s => new Rule(s, verdict, when, origin))).ToList();
    }

    // Entries that never apply to a sandbox: another architecture, or a capability sandboxes never get.
    private static bool Skip(JsonElement entry, out string? why, string source, string origin)
    {
        why = null;
        if (entry.TryGetProperty("includes", out JsonElement inc))
        {
            foreach (JsonProperty p in inc.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "caps" when p.Value.GetArrayLength() > 0:
                        why = $"it applies only with {string.Join(", ", p.Value.EnumerateArray().Select(x => x.GetString()))}, and sandboxes get no capabilities";
                        return true;
                    case "arches" when p.Value.GetArrayLength() > 0 && !p.Value.EnumerateArray().Any(x => x.GetString() is "amd64" or "x86_64"):
                        why = $"it applies only on {string.Join(", ", p.Value.EnumerateArray().Select(x => x.GetString()))}";
                        return true;
                    case "caps" or "arches" or "minKernel":
                        break;
                    default:
                        throw Fail(source, $"{origin} has includes.{p.Name}, which this importer does not know", "remove it or import by hand");
                }
            }
        }

        if (entry.TryGetProperty("excludes", out JsonElement exc))
        {
            foreach (JsonProperty p in exc.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "arches" when p.Value.EnumerateArray().Any(x => x.GetString() is "amd64" or "x86_64"):
                        why = "it excludes amd64";
                        return true;
                    case "caps" or "arches":
                        break; // excluded only with capabilities, which sandboxes never have: applies
                    default:
                        throw Fail(source, $"{origin} has excludes.{p.Name}, which this importer does not know", "remove it or import by hand");
                }
            }
        }

        return false;
    }

    private static ArgCondition Comparison(JsonElement a, string source, string origin)
    {
        int arg = a.GetProperty("index").GetInt32();
        if (arg is < 0 or > ArgValueParser.MaxArgIndex)
        {
            throw Fail(source, $"{origin} compares argument {arg}", "syscalls have arguments 0 to 5");
        }

        ulong value = a.GetProperty("value").GetUInt64();
        ulong two = a.TryGetProperty("valueTwo", out JsonElement t) ? t.GetUInt64() : 0;
        string op = a.GetProperty("op").GetString() ?? "";
        return op switch
        {
            "SCMP_CMP_EQ" => new ArgEqualsAny(arg, [value]),
            "SCMP_CMP_NE" => new ArgNotEquals(arg, value),
            "SCMP_CMP_MASKED_EQ" when value != 0 && (two & ~value) == 0 => new ArgMaskedEquals(arg, value, two),
            "SCMP_CMP_MASKED_EQ" => throw Fail(source, $"{origin} has a MASKED_EQ that can never match or tests no bits (mask 0x{value:x}, value 0x{two:x})", "fix the source profile"),
            _ => throw Fail(source, $"{origin} uses {op}, which the YAML format cannot express", "only EQ, NE and MASKED_EQ comparisons are imported; write this rule by hand with in/maskedEq/notEq"),
        };
    }

    private static Verdict ReadVerdict(string action, JsonElement owner, string errnoKey, string source, string what)
    {
        SeccompAction a = action switch
        {
            "SCMP_ACT_ALLOW" => SeccompAction.Allow,
            "SCMP_ACT_ERRNO" => SeccompAction.Errno,
            "SCMP_ACT_KILL_PROCESS" => SeccompAction.KillProcess,
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SeccompAction.KillThread,
            "SCMP_ACT_TRAP" => SeccompAction.Trap,
            "SCMP_ACT_LOG" => SeccompAction.Log,
            _ => throw Fail(source, $"{what} has action '{action}', which sandboxes do not support", "use ALLOW, ERRNO, KILL_PROCESS, TRAP or LOG"),
        };
        if (a != SeccompAction.Errno)
        {
            return new Verdict(a, null);
        }

        uint number = owner.TryGetProperty(errnoKey, out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetUInt32() : 1; // runtimes default to EPERM
        return ErrnoTable.TryGetName(number, out string errno)
            ? new Verdict(a, errno)
            : throw Fail(source, $"{what} returns errno {number}, which is not in the errno table", $"known: {string.Join(", ", ErrnoTable.Names)}");
    }

    private static void RequireX86_64(JsonElement root, string source)
    {
        bool listed = (root.TryGetProperty("architectures", out JsonElement archs) && archs.ValueKind == JsonValueKind.Array
                && archs.EnumerateArray().Any(a => a.GetString() == "SCMP_ARCH_X86_64"))
            || (root.TryGetProperty("archMap", out JsonElement map) && map.ValueKind == JsonValueKind.Array
                && map.EnumerateArray().Any(m => m.TryGetProperty("architecture", out JsonElement x) && x.GetString() == "SCMP_ARCH_X86_64"));
        if (!listed)
        {
            throw Fail(source, "does not cover SCMP_ARCH_X86_64", "sandboxes run x86-64; import a profile written for it");
        }
    }

    // One answer per call: an unconditional rule absorbs rules with its verdict and conflicts with the
    // rest; rules that repeat the default are no-ops; EQ values of one argument with one verdict merge.
    private static List<Rule> Normalize(List<Rule> rules, Verdict defaults, string source, List<string> notes)
    {
        var kept = new List<Rule>();
        foreach (var bySyscall in rules.GroupBy(r => r.Syscall))
        {
            var all = bySyscall.ToList();
            if (all.FirstOrDefault(r => r.When is null) is { } plain)
            {
                // The source answers the syscall both ways with no argument to tell them apart; which
                // rule wins is up to the runtime's libseccomp and rule order. Import the refusal (fail
                // closed) and say so; two different refusals cannot be chosen between.
                var verdicts = all.Where(r => r.When is null).Select(r => r.Verdict).Distinct().ToList();
                if (verdicts.Count > 1 || all.Any(r => r.Verdict != plain.Verdict))
                {
                    var refusals = all.Select(r => r.Verdict).Where(v => v.Action is not (SeccompAction.Allow or SeccompAction.Log)).Distinct().ToList();
                    if (refusals.Count != 1)
                    {
                        throw Fail(source, $"{bySyscall.Key} is answered {string.Join(" and ", all.Select(r => $"{Describe(r.Verdict)} ({r.Origin})").Distinct())}", "the runtime's choice between them is not defined; make the source unambiguous");
                    }

                    Rule refusal = all.First(r => r.Verdict == refusals[0]);
                    notes.Add($"{bySyscall.Key}: the source both lets it run and refuses it ({string.Join(", ", all.Select(r => $"{Describe(r.Verdict)} in {r.Origin}").Distinct())}) with nothing to tell them apart; imported as {Describe(refusal.Verdict)} (fail closed); review");
                    all = [refusal with { When = null }];
                }
                else
                {
                    all = [plain];
                }
            }

            if (all.RemoveAll(r => r.Verdict == defaults) > 0)
            {
                notes.Add($"{bySyscall.Key}: a rule repeating the default action was dropped (it changes nothing)");
            }

            foreach (var same in all.GroupBy(r => r.Verdict))
            {
                var singles = same.Where(r => r.When is ArgEqualsAny).GroupBy(r => r.When!.Arg).ToList();
                foreach (var byArg in singles)
                {
                    ImmutableArray<ulong> values = [.. byArg.SelectMany(r => ((ArgEqualsAny)r.When!).Values).Distinct()];
                    kept.Add(byArg.First() with { When = new ArgEqualsAny(byArg.Key, values) });
                }

                kept.AddRange(same.Where(r => r.When is not ArgEqualsAny).DistinctBy(r => ConditionText.Describe(r.When)));
            }
        }

        return kept;
    }

    private static SeccompProfile Profile(List<Rule> rules, Verdict defaults, string name, string source)
    {
        var groups = new List<SyscallGroup>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        // Syscalls with the same verdict and condition share a group, in the order the source first lists them.
        foreach (var bucket in rules.GroupBy(r => (r.Verdict, Key: ConditionText.Describe(r.When))))
        {
            Rule first = bucket.First();
            string action = ActionNames.Name(first.Verdict.Action) + (first.Verdict.Errno is { } e ? "-" + e.ToLowerInvariant() : "");
            string baseName = first.When is null ? action : $"{first.Syscall.Replace('_', '-')}-{action}";
            string groupName = baseName;
            for (int i = 2; !names.Add(groupName); i++)
            {
                groupName = $"{baseName}-{i.ToString(CultureInfo.InvariantCulture)}";
            }

            string[] origins = [.. bucket.Select(r => r.Origin).Distinct().Take(3)];
            string why = $"{ReviewMark} from {source} {string.Join("; ", origins)}{(bucket.Select(r => r.Origin).Distinct().Count() > 3 ? "; ..." : "")}. Say why the workload needs this, or remove it.";
            SeccompAction act = first.Verdict.Action == SeccompAction.KillThread ? SeccompAction.KillProcess : first.Verdict.Action;
            groups.Add(new SyscallGroup(groupName, why, act, first.Verdict.Errno, [.. bucket.Select(r => r.Syscall).Distinct()], first.When));
        }

        return new SeccompProfile(name, $"Imported from {source}; every group is to be reviewed", defaults.Action == SeccompAction.KillThread ? SeccompAction.KillThread : defaults.Action,
            defaults.Errno, ["x86_64"], [.. groups]);
    }

    private static string Describe(Verdict v) => ActionNames.Name(v.Action) + (v.Errno is { } e ? $" {e}" : "");

    private static SandboxException Fail(string source, string what, string hint) =>
        new(ErrorKind.InvalidProfile, $"{source}: {what}", hint);
}
