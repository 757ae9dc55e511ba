using System.Text;

namespace Sandbox.Policy.Testing;

/// <summary>`policy test` for people: a table of cases, then each failure as a diff naming the rule that decided instead.</summary>
public static class PolicyTestText
{
    public static string Human(PolicyTestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = new StringBuilder();
        s.Append($"policy {report.Policy} (sha256 {report.PolicySha256[..12]}), cases {report.Cases}\n\n");
        s.Append($"{"RESULT",-6} {"CASE",-44} {"VERDICT",-8} {"BACKEND",-9} RULE\n");
        foreach (CaseResult r in report.Results)
        {
            s.Append($"{(r.Passed ? "ok" : "FAIL"),-6} {Cut(r.Name, 44),-44} {r.Verdict,-8} {r.Backend ?? "-",-9} {r.Rule ?? "-"}\n");
        }

        foreach (CaseResult r in report.Results.Where(r => !r.Passed))
        {
            s.Append($"\nFAIL {report.Cases}:{r.Line}: {r.Name}\n");
            foreach (CaseMismatch m in r.Mismatches)
            {
                s.Append($"  {m.Field}:\n    - expected {m.Expected}\n    + actual   {m.Actual}\n");
            }

            s.Append($"  instead: {r.Explanation}\n");
            s.Append($"  matching rules: {(r.Matched.Count == 0 ? "none" : string.Join(", ", r.Matched))}\n");
        }

        s.Append($"\n{report.Results.Count} case(s): {report.Results.Count - report.Failed} passed, {report.Failed} failed\n");
        return s.ToString();
    }

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
