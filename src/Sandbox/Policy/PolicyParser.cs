using System.Collections.Immutable;
using Sandbox.Profiles;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Policy;

/// <summary>Turns the root mapping of a policy document into a <see cref="PolicyDocument"/>.</summary>
internal static class PolicyParser
{
    public const int Version = 1;

    public static PolicyDocument Read(YamlReader r, YamlNode root, string source, string sha256)
    {
        YamlMappingNode map = r.Mapping(root, "the policy");
        YamlFields f = r.Fields(map, "the policy", ["version", "rules"], ["description"]);
        string version = r.Text(f["version"], "version", $"write 'version: {Version}'");
        if (version != "1")
        {
            throw r.Fail(f["version"], $"policy version '{version}' is not supported", $"this build reads version {Version}");
        }

        if (f.Optional("description") is { } d)
        {
            r.Text(d, "description", "say in a sentence what the policy is for");
        }

        YamlSequenceNode list = r.Sequence(f["rules"], "rules");
        if (list.Children.Count == 0)
        {
            throw r.Fail(f["rules"], "rules is empty, so every workload would be refused", "add rules; start from the built-in profiles/policy.yaml");
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var rules = ImmutableArray.CreateBuilder<PolicyRule>();
        foreach (YamlNode node in list.Children)
        {
            PolicyRule rule = ReadRule(r, node, source);
            if (!names.TryAdd(rule.Ref.Name, rule.Ref.Line))
            {
                throw r.Fail(node, $"rule name '{rule.Ref.Name}' is used twice (first at line {names[rule.Ref.Name]})", "give each rule a distinct name: decisions and the audit log name rules");
            }

            rules.Add(rule);
        }

        if (!rules.Any(x => x.Effect == RuleEffect.Allow))
        {
            throw r.Fail(f["rules"], "the policy has no allow rule, so every workload would be refused", "add an allow rule with a decide: block");
        }

        return new PolicyDocument(source, sha256, rules.ToImmutable());
    }

    private static PolicyRule ReadRule(YamlReader r, YamlNode node, string source)
    {
        YamlMappingNode map = r.Mapping(node, "a rule");
        YamlFields f = r.Fields(map, "a rule", ["name", "effect", "why"], ["match", "decide"]);
        string name = ProfileParser.Identifier(r, f["name"], "rule name");
        string what = $"rule '{name}'";
        string effectText = r.Text(f["effect"], $"effect of {what}", "use allow or deny");
        RuleEffect effect = effectText switch
        {
            "allow" => RuleEffect.Allow,
            "deny" => RuleEffect.Deny,
            _ => throw r.Fail(f["effect"], $"unknown effect '{effectText}' in {what}", "use allow or deny"),
        };
        string why = r.Text(f["why"], $"why of {what}", "say in one sentence why this rule exists; decisions and refusals quote it");
        ImmutableArray<Condition> conditions = f.Optional("match") is { } m ? MatchParser.Read(r, m, what) : [];
        RuleOutcome? outcome = null;
        if (effect == RuleEffect.Allow)
        {
            outcome = f.Optional("decide") is { } d
                ? OutcomeParser.Read(r, d, what)
                : throw r.Fail(map, $"{what} allows but has no decide: block", "say what it decides: at least 'decide: {backend: container}'");
        }
        else if (f.Optional("decide") is { } d)
        {
            throw r.Fail(d, $"{what} is a deny rule, which decides nothing", "remove decide:, or make the rule effect: allow");
        }

        return new PolicyRule(new RuleRef(name, source, (int)map.Start.Line), effect, why, conditions, outcome);
    }
}
