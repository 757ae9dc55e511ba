using System.Globalization;
using Sandbox.Host.Files;

namespace Sandbox.Host.Probes;

/// <summary>Kernel seccomp support: the Seccomp field in /proc/self/status and the filter actions the kernel offers.</summary>
public static class SeccompProbe
{
    /// <summary>Filter return actions the generated profiles rely on.</summary>
    public static readonly IReadOnlyList<string> RequiredActions = ["allow", "errno", "kill_process"];

    public static SeccompResult Run() => Evaluate(
        ProcFiles.ReadText("/proc/self/status"),
        ProcFiles.ReadText("/proc/sys/kernel/seccomp/actions_avail"));

    /// <param name="status">Text of /proc/self/status, or null if unreadable.</param>
    /// <param name="actionsAvail">Text of actions_avail, or null if absent (no CONFIG_SECCOMP_FILTER).</param>
    internal static SeccompResult Evaluate(string? status, string? actionsAvail)
    {
        const string remedy = "use a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y";
        int? mode = ParseMode(status);
        IReadOnlyList<string> actions = actionsAvail?.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (mode is null)
        {
            return new(false, "no Seccomp field in /proc/self/status (kernel lacks CONFIG_SECCOMP)", remedy, mode, actions);
        }

        if (actionsAvail is null)
        {
            return new(false, "/proc/sys/kernel/seccomp/actions_avail missing (no filter mode)", remedy, mode, actions);
        }

        string[] missing = [.. RequiredActions.Where(a => !actions.Contains(a))];
        string listed = $"actions: {string.Join(' ', actions)}";
        if (missing.Length > 0)
        {
            return new(false, $"missing filter actions {string.Join(", ", missing)}; {listed}", remedy, mode, actions);
        }

        string nested = mode == 2 ? "; this process already runs under a filter (nested filters stack)" : string.Empty;
        return new(true, listed + nested, null, mode, actions);
    }

    private static int? ParseMode(string? status)
    {
        foreach (string line in (status ?? string.Empty).Split('\n'))
        {
            if (line.StartsWith("Seccomp:", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan("Seccomp:".Length).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int mode))
            {
                return mode;
            }
        }

        return null;
    }
}
