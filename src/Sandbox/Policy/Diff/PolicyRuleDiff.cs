using Sandbox.Profiles;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Policy.Diff;

/// <summary>One rule that differs between two policies.</summary>
/// <param name="Kind">added, removed, moved (its place among the allow rules changed) or changed.</param>
/// <param name="Details">For changed: one line per key that differs ("match.trust: [untrusted] -> [trusted]").</param>
public sealed record RuleChange(string Kind, string Rule, string Effect, int? OldLine, int? NewLine, IReadOnlyList<string> Details);

/// <summary>`policy diff OLD NEW`: both policies and every rule that differs, in NEW's order then removed ones.</summary>
public sealed record PolicyDiffReport(string OldSource, string OldSha256, string NewSource, string NewSha256, IReadOnlyList<RuleChange> Rules)
{
    public bool Same => Rules.Count == 0;
}

/// <summary>
/// Compares two validated policies rule by rule, by name. Order only matters among allow rules (the
/// first match decides; every matching deny rule refuses wherever it stands), so "moved" is computed
/// on allow rules: the fewest rules whose move explains the new order (longest common subsequence).
/// A change is reported per key of the rule as written, values in a canonical one-line form.
/// </summary>
public static class PolicyRuleDiff
{
    public static PolicyDiffReport Compare(PolicyDocument oldPolicy, string oldText, PolicyDocument newPolicy, string newText)
    {
        ArgumentNullException.ThrowIfNull(oldPolicy);
        ArgumentNullException.ThrowIfNull(newPolicy);
        Dictionary<string, YamlMappingNode> oldNodes = RuleNodes(oldText), newNodes = RuleNodes(newText);
        var oldByName = oldPolicy.Rules.ToDictionary(r => r.Ref.Name, StringComparer.Ordinal);
        var newByName = newPolicy.Rules.ToDictionary(r => r.Ref.Name, StringComparer.Ordinal);
        HashSet<string> moved = MovedAllowRules(oldPolicy, newPolicy, oldByName.Keys.Intersect(newByName.Keys).ToHashSet(StringComparer.Ordinal));

        var changes = new List<RuleChange>();
        foreach (PolicyRule rule in newPolicy.Rules)
        {
            string name = rule.Ref.Name;
            string effect = Effect(rule);
            if (!oldByName.TryGetValue(name, out PolicyRule? old))
            {
                changes.Add(new RuleChange("added", name, effect, null, rule.Ref.Line, []));
                continue;
            }

            List<string> details = Details(oldNodes[name], newNodes[name]);
            if (details.Count > 0)
            {
                changes.Add(new RuleChange("changed", name, effect, old.Ref.Line, rule.Ref.Line, details));
            }

            if (moved.Contains(name))
            {
                changes.Add(new RuleChange("moved", name, effect, old.Ref.Line, rule.Ref.Line,
                    [$"allow position {AllowIndex(oldPolicy, name)} -> {AllowIndex(newPolicy, name)} (the first matching allow rule decides)"]));
            }
        }

        changes.AddRange(oldPolicy.Rules.Where(r => !newByName.ContainsKey(r.Ref.Name))
            .Select(r => new RuleChange("removed", r.Ref.Name, Effect(r), r.Ref.Line, null, [])));
        return new PolicyDiffReport(oldPolicy.Source, oldPolicy.Sha256, newPolicy.Source, newPolicy.Sha256, changes);
    }

    private static string Effect(PolicyRule r) => r.Effect == RuleEffect.Allow ? "allow" : "deny";

    private static int AllowIndex(PolicyDocument p, string name) =>
        p.Rules.Where(r => r.Effect == RuleEffect.Allow).Select(r => r.Ref.Name).ToList().IndexOf(name) + 1;

    private static HashSet<string> MovedAllowRules(PolicyDocument oldPolicy, PolicyDocument newPolicy, HashSet<string> common)
    {
        string[] a = [.. oldPolicy.Rules.Where(r => r.Effect == RuleEffect.Allow && common.Contains(r.Ref.Name)).Select(r => r.Ref.Name)];
        string[] b = [.. newPolicy.Rules.Where(r => r.Effect == RuleEffect.Allow && common.Contains(r.Ref.Name)).Select(r => r.Ref.Name)];
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var kept = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0, j = 0; i < a.Length && j < b.Length;)
        {
            if (a[i] == b[j])
            {
                kept.Add(a[i]);
                i++;
                j++;
            }
            else if (lcs[i + 1, j] >= lcs[i, j + 1])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return [.. b.Where(n => !kept.Contains(n))];
    }

    private static List<string> Details(YamlMappingNode before, YamlMappingNode after)
    {
        var details = new List<string>();
        foreach (string key in new[] { "effect", "why", "match", "decide" })
        {
            YamlNode? x = Child(before, key), y = Child(after, key);
            if (x is YamlMappingNode mx && y is YamlMappingNode my)
            {
                IEnumerable<string> subKeys = Keys(mx).Concat(Keys(my).Where(k => !Keys(mx).Contains(k)));
                foreach (string sub in subKeys)
                {
                    Add(details, $"{key}.{sub}", Child(mx, sub), Child(my, sub));
                }
            }
            else
            {
                Add(details, key, x, y);
            }
        }

        return details;
    }

    private static void Add(List<string> details, string what, YamlNode? before, YamlNode? after)
    {
        string b = Canonical(before), a = Canonical(after);
        if (b != a)
        {
            details.Add($"{what}: {b} -> {a}");
        }
    }

    /// <summary>A node on one line: scalars as written, [a, b] for lists, {k: v} for mappings; "(none)" when absent.</summary>
    public static string Canonical(YamlNode? node) => node switch
    {
        null => "(none)",
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode seq => $"[{string.Join(", ", seq.Children.Select(Canonical))}]",
        YamlMappingNode map => $"{{{string.Join(", ", map.Children.Select(p => $"{Canonical(p.Key)}: {Canonical(p.Value)}"))}}}",
        _ => node.ToString(),
    };

    private static IEnumerable<string> Keys(YamlMappingNode map) => map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "");

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: var v } && v == key).Value;

    // The text was validated by PolicyLoader, so the shape is known.
    private static Dictionary<string, YamlMappingNode> RuleNodes(string text)
    {
        var root = (YamlMappingNode)Profiles.YamlDocument.ParseSingle(text, "policy", PolicyLoader.MaxBytes, "policy", "");
        var rules = (YamlSequenceNode)Child(root, "rules")!;
        return rules.Children.Cast<YamlMappingNode>().ToDictionary(m => Canonical(Child(m, "name")), StringComparer.Ordinal);
    }
}
