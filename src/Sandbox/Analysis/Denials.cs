using System.Globalization;
using System.Text.RegularExpressions;
using Sandbox.Profiles;

namespace Sandbox.Analysis;

/// <summary>
/// Seccomp refusals from the guest kernel's log: the analysis filter carries SECCOMP_FILTER_FLAG_LOG,
/// so the kernel writes an audit record (type=1326) per refusal, rate-limited by printk. Only the
/// numeric fields are read; the kernel hex-encodes a task name with spaces or quotes, so a name
/// cannot forge them.
/// </summary>
public static class Denials
{
    private static readonly Regex Record = new(@"type=1326 .* pid=(\d+) .* syscall=(\d+) .* code=0x([0-9a-f]+)", RegexOptions.CultureInvariant);

    public const string Note = "from the guest kernel's seccomp audit records; the kernel logs at most about 10 in 5 s, so counts are a lower bound";

    public static ReportDenials From(string? log, IReadOnlySet<int> pids)
    {
        if (log is null)
        {
            return new ReportDenials(false, "not collected: the guest kernel log could not be read", []);
        }

        var seen = new Dictionary<(string, string), (int Count, int First)>();
        foreach (string line in log.Split('\n'))
        {
            var m = Record.Match(line);
            if (!m.Success || !pids.Contains(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))
            {
                continue;
            }

            int nr = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            string name = SyscallTable.NameOf(nr) ?? string.Create(CultureInfo.InvariantCulture, $"syscall {nr}");
            string action = Action(uint.Parse(m.Groups[3].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            seen[(name, action)] = seen.TryGetValue((name, action), out var s) ? (s.Count + 1, s.First) : (1, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        return new ReportDenials(true, Note, [.. seen.Select(kv => new ReportDenial(kv.Key.Item1, kv.Value.Count, kv.Value.First, kv.Key.Item2)).OrderByDescending(d => d.Count)]);
    }

    // SECCOMP_RET_* (the kernel logs the action without its data, so not which errno).
    private static string Action(uint code) => (code & 0xffff0000) switch
    {
        0x00050000 => "errno",
        0x80000000 => "kill process",
        0x00000000 => "kill thread",
        0x00030000 => "trap",
        0x7ffc0000 => "log",
        0x7ff00000 => "trace",
        0x7fc00000 => "user notification",
        _ => string.Create(CultureInfo.InvariantCulture, $"action 0x{code:x}"),
    };
}
