using System.Globalization;
using Sandbox.Audit;
using Sandbox.Runtime;

namespace Sandbox.Policy.Replay;

/// <summary>One run whose decision under the new policy differs from the recorded one.</summary>
/// <param name="Seq">The run's first record (audit show SEQ).</param>
/// <param name="Changes">What differs, one line each: verdict, backend, then each hardening parameter.</param>
public sealed record ReplayedRun(
    long Seq,
    string? Sandbox,
    string Time,
    string Image,
    string RecordedVerdict,
    string? RecordedRule,
    string? RecordedBackend,
    string NewVerdict,
    string? NewRule,
    string? NewBackend,
    IReadOnlyList<string> Changes);

/// <summary>`policy diff --audit`: how many runs were replayed, how many could not be (no recorded facts), and the differences.</summary>
public sealed record ReplayReport(int Runs, int Replayed, IReadOnlyList<long> WithoutFacts, IReadOnlyList<ReplayedRun> Differences);

/// <summary>
/// Decides every recorded run again under another policy, from the facts its record holds, and
/// reports the runs whose verdict, backend or hardening would differ. A run is its records with one
/// sandbox ID (started, then how it ended); a record without an ID (a refusal) is a run of its own.
/// Pure: the host is <see cref="RecordedHost"/>, so the answer depends on the log and the policy only.
/// </summary>
public static class PolicyReplay
{
    public static ReplayReport Run(IEnumerable<AuditRecord> records, PolicyDocument policy, Func<string, Profiles.SeccompProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(policy);
        var runs = records.GroupBy(r => r.Sandbox ?? "#" + r.Seq.ToString(CultureInfo.InvariantCulture)).Select(g => g.ToList()).ToList();
        var missing = new List<long>();
        var differences = new List<ReplayedRun>();
        foreach (List<AuditRecord> run in runs)
        {
            AuditRecord first = run[0], last = run[^1];
            if (RecordedFacts.FromAudit(first.Facts) is not { } facts)
            {
                missing.Add(first.Seq);
                continue;
            }

            var host = new RecordedHost(first.Facts!.HostKernel, AcceleratorOf(first.Decision));
            PolicyEvaluation now = new PolicyEngine(host, profiles).Evaluate(policy, facts);
            if (Compare(last, now) is { Count: > 0 } changes)
            {
                AuditDecision? newDecision = now.Allowed ? RunAudit.ToAudit(now.Decision!) : null;
                differences.Add(new ReplayedRun(
                    first.Seq, first.Sandbox, first.Time, first.Image.Reference,
                    RecordedVerdict(last), last.Rule?.Name, RecordedVerdict(last) == "refused" ? null : last.Decision?.Backend,
                    now.Allowed ? "allowed" : "refused", (now.Refusal?.Rule ?? now.Decision?.Rule)?.Name, newDecision?.Backend,
                    changes));
            }
        }

        return new ReplayReport(runs.Count, runs.Count - missing.Count, missing, differences);
    }

    /// <summary>
    /// What the policy said: it let the run go ahead unless the run was refused, and not by a check
    /// after the policy had allowed it (an older record does not say, and counts as the policy's).
    /// </summary>
    public static string RecordedVerdict(AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.Outcome == "refused" && r.RefusedBy != "check" ? "refused" : "allowed";
    }

    private static List<string> Compare(AuditRecord recorded, PolicyEvaluation now)
    {
        var changes = new List<string>();
        string before = RecordedVerdict(recorded), after = now.Allowed ? "allowed" : "refused";
        if (before != after)
        {
            string why = now.Refusal is { } r ? $" ({r.Message})" : $" (by rule '{now.Decision!.Rule?.Name}')";
            changes.Add($"verdict: {before} -> {after}{why}");
            return changes;
        }

        if (before == "refused" || recorded.Decision is not { } old)
        {
            return changes;
        }

        AuditDecision @new = RunAudit.ToAudit(now.Decision!);
        Diff(changes, "backend", old.Backend, @new.Backend);
        Diff(changes, "seccomp", old.SeccompProfile, @new.SeccompProfile);
        Diff(changes, "capabilities", List(old.Capabilities), List(@new.Capabilities));
        Diff(changes, "devices", List(old.Devices), List(@new.Devices));
        Diff(changes, "network", old.Network, @new.Network);
        Diff(changes, "kernel", old.Kernel ?? "-", @new.Kernel ?? "-");
        Diff(changes, "volumes", List(old.Volumes), List(@new.Volumes));
        Diff(changes, "binds", List(old.Binds), List(@new.Binds));
        Diff(changes, "allowEmulation", Flag(old.AllowEmulation), Flag(@new.AllowEmulation));
        Diff(changes, "memory", PolicyNames.Size(old.Limits.MemoryBytes), PolicyNames.Size(@new.Limits.MemoryBytes));
        Diff(changes, "cpus", PolicyNames.Number(old.Limits.Cpus), PolicyNames.Number(@new.Limits.Cpus));
        Diff(changes, "pids", Num(old.Limits.PidsLimit), Num(@new.Limits.PidsLimit));
        Diff(changes, "tmpfs", PolicyNames.Size(old.Limits.TmpfsBytes), PolicyNames.Size(@new.Limits.TmpfsBytes));
        Diff(changes, "openFiles", old.Limits.OpenFiles.ToString(CultureInfo.InvariantCulture), @new.Limits.OpenFiles.ToString(CultureInfo.InvariantCulture));
        return changes;
    }

    private static void Diff(List<string> changes, string what, string before, string after)
    {
        if (before != after)
        {
            changes.Add($"{what}: {before} -> {after}");
        }
    }

    private static Accelerator AcceleratorOf(AuditDecision? d) => d?.Accelerator switch
    {
        "kvm" => Accelerator.Kvm,
        "emulation" => Accelerator.Emulation,
        _ => Accelerator.None,
    };

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "[]" : $"[{string.Join(", ", items)}]";

    private static string Flag(bool b) => b ? "true" : "false";

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
}
