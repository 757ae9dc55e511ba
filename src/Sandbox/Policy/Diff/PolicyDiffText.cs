using System.Text;
using Sandbox.Policy.Replay;

namespace Sandbox.Policy.Diff;

/// <summary>`policy diff` for people: rule changes, then (with --audit) the recorded runs that would be decided differently.</summary>
public static class PolicyDiffText
{
    public static string Human(PolicyDiffReport rules, ReplayReport? audit)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var s = new StringBuilder();
        s.Append($"--- {rules.OldSource} (sha256 {rules.OldSha256[..12]})\n+++ {rules.NewSource} (sha256 {rules.NewSha256[..12]})\n");
        if (rules.Same)
        {
            s.Append("rules: no difference\n");
        }

        foreach (RuleChange c in rules.Rules)
        {
            string sign = c.Kind switch { "added" => "+", "removed" => "-", _ => "~" };
            string where = c.Kind switch
            {
                "added" => $"line {c.NewLine}",
                "removed" => $"line {c.OldLine}",
                _ => $"line {c.OldLine} -> {c.NewLine}",
            };
            s.Append($"{sign} {c.Kind} {c.Effect} rule '{c.Rule}' ({where})\n");
            foreach (string d in c.Details)
            {
                s.Append($"    {d}\n");
            }
        }

        if (audit is not null)
        {
            s.Append($"\naudit: {audit.Runs} recorded run(s), {audit.Replayed} replayed under {rules.NewSource}; {audit.Differences.Count} would be decided differently\n");
            if (audit.WithoutFacts.Count > 0)
            {
                s.Append($"  {audit.WithoutFacts.Count} run(s) have no recorded workload facts (older records) and were not replayed: {string.Join(", ", audit.WithoutFacts)}\n");
            }

            foreach (ReplayedRun r in audit.Differences)
            {
                s.Append($"  record {r.Seq}{(r.Sandbox is { } id ? $" ({id})" : "")} {r.Time} {r.Image}: ");
                s.Append($"{r.RecordedVerdict} by '{r.RecordedRule ?? "-"}'{(r.RecordedBackend is { } b ? $" on {b}" : "")} -> ");
                s.Append($"{r.NewVerdict} by '{r.NewRule ?? "-"}'{(r.NewBackend is { } nb ? $" on {nb}" : "")}\n");
                foreach (string c in r.Changes)
                {
                    s.Append($"      {c}\n");
                }
            }
        }

        return s.ToString();
    }
}

/// <summary>`policy diff --json`, schema sandbox.policy.diff/v1: the rule changes and, with --audit, the replay.</summary>
public sealed record PolicyDiffOutput(string Schema, PolicyDiffReport Rules, ReplayReport? Audit)
{
    public const string SchemaId = "sandbox.policy.diff/v1";
}
