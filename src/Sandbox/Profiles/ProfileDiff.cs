using System.Text;

namespace Sandbox.Profiles;

/// <summary>One syscall two profiles treat differently: what each lets run (argument rules), or how each refuses it.</summary>
public sealed record SyscallDifference(string Syscall, string A, string B);

/// <summary>`profile diff A B`.</summary>
/// <param name="OnlyA">Syscalls A lets run (under some arguments) and B never does.</param>
/// <param name="ArgumentRules">Syscalls both let run, under different argument rules.</param>
/// <param name="Refusals">Syscalls neither lets run, refused differently (errno, kill, trap).</param>
public sealed record ProfileDiffReport(
    string A,
    string B,
    string DefaultA,
    string DefaultB,
    IReadOnlyList<SyscallDifference> OnlyA,
    IReadOnlyList<SyscallDifference> OnlyB,
    IReadOnlyList<SyscallDifference> ArgumentRules,
    IReadOnlyList<SyscallDifference> Refusals)
{
    public bool Same => DefaultA == DefaultB && OnlyA.Count == 0 && OnlyB.Count == 0 && ArgumentRules.Count == 0 && Refusals.Count == 0;
}

/// <summary>
/// Compares two profiles syscall by syscall over the whole x86-64 table. What a syscall may run
/// under is written canonically ("always", "arg0 in [1, 2]", "arg2 != 9 or arg0 != 16"), so rules
/// written differently but identically read compare equal; equivalent rules in different forms
/// (an 'in' list versus a mask) are shown as different, for a person to judge.
/// </summary>
public static class ProfileDiff
{
    public static ProfileDiffReport Compare(SeccompProfile a, SeccompProfile b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        List<SyscallDifference> onlyA = [], onlyB = [], rules = [], refusals = [];
        foreach (string syscall in SyscallTable.Names.Order(StringComparer.Ordinal))
        {
            string? runA = Runs(a, syscall), runB = Runs(b, syscall);
            if (runA is not null && runB is null)
            {
                onlyA.Add(new SyscallDifference(syscall, runA, Refused(b, syscall)));
            }
            else if (runA is null && runB is not null)
            {
                onlyB.Add(new SyscallDifference(syscall, Refused(a, syscall), runB));
            }
            else if (runA is not null && runA != runB)
            {
                rules.Add(new SyscallDifference(syscall, runA, runB!));
            }
            else if (runA is null && Refused(a, syscall) is var ra && Refused(b, syscall) is var rb && ra != rb)
            {
                refusals.Add(new SyscallDifference(syscall, ra, rb));
            }
        }

        return new ProfileDiffReport(a.Name, b.Name, Default(a), Default(b), onlyA, onlyB, rules, refusals);
    }

    public static string Human(ProfileDiffReport d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var s = new StringBuilder();
        s.Append($"--- {d.A}\n+++ {d.B}\n");
        if (d.DefaultA != d.DefaultB)
        {
            s.Append($"default: {d.DefaultA} -> {d.DefaultB}\n");
        }

        Section(s, $"allowed by {d.A} only", d.OnlyA, x => $"- {x.Syscall}: runs when {x.A}; {d.B}: {x.B}");
        Section(s, $"allowed by {d.B} only", d.OnlyB, x => $"+ {x.Syscall}: runs when {x.B}; {d.A}: {x.A}");
        Section(s, "allowed by both, under different argument rules", d.ArgumentRules, x => $"~ {x.Syscall}: {d.A} when {x.A}; {d.B} when {x.B}");
        Section(s, "refused by both, differently", d.Refusals, x => $"~ {x.Syscall}: {x.A} -> {x.B}");
        if (d.Same)
        {
            s.Append("no difference: every syscall gets the same answer under the same argument rules\n");
        }

        return s.ToString();
    }

    private static void Section(StringBuilder s, string title, IReadOnlyList<SyscallDifference> items, Func<SyscallDifference, string> line)
    {
        if (items.Count == 0)
        {
            return;
        }

        s.Append($"{title} ({items.Count}):\n");
        foreach (SyscallDifference x in items)
        {
            s.Append("  ").Append(line(x)).Append('\n');
        }
    }

    // When the syscall runs (allow or log), as a canonical "or" of its groups' conditions; null when never.
    private static string? Runs(SeccompProfile p, string syscall)
    {
        var groups = p.Groups.Where(g => g.Action is SeccompAction.Allow or SeccompAction.Log && g.Syscalls.Contains(syscall)).ToList();
        if (groups.Count == 0)
        {
            return null;
        }

        string text = groups.Any(g => g.When is null) ? "always" : string.Join(" or ", groups.Select(g => ConditionText.Describe(g.When)).Order(StringComparer.Ordinal));
        return groups.Any(g => g.Action == SeccompAction.Log) ? text + " (logged)" : text;
    }

    // How the syscall is refused: the groups that refuse it under conditions, then the default.
    private static string Refused(SeccompProfile p, string syscall)
    {
        var parts = p.Groups.Where(g => g.Action is not (SeccompAction.Allow or SeccompAction.Log) && g.Syscalls.Contains(syscall))
            .Select(g => $"{Verdict(g.Action, g.Errno)}{(g.When is null ? "" : $" when {ConditionText.Describe(g.When)}")}")
            .Order(StringComparer.Ordinal).ToList();
        return parts.Count > 0 && !parts.Any(x => !x.Contains(" when ", StringComparison.Ordinal))
            ? $"{string.Join(", ", parts)}, else {Default(p)}"
            : parts.Count > 0 ? string.Join(", ", parts) : Default(p);
    }

    private static string Default(SeccompProfile p) => Verdict(p.DefaultAction, p.DefaultErrno);

    private static string Verdict(SeccompAction a, string? errno) => ActionNames.Name(a) + (errno is { } e ? $" {e}" : "");
}
