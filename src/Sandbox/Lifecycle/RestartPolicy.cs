using System.Globalization;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle;

/// <summary>
/// docker's --restart: no (default), on-failure[:N] (a nonzero exit, at most N restarts), always.
/// Each restart is a new create: a fresh writable layer, the same volumes. Backoff doubles from
/// 100 ms to 1 min and starts again after an attempt that ran 10 s.
/// </summary>
public sealed record RestartPolicy(string Mode, int? MaxRestarts)
{
    public static readonly RestartPolicy No = new("no", null);
    public static readonly TimeSpan ResetAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Ceiling = TimeSpan.FromMinutes(1);

    public static RestartPolicy Parse(string? text)
    {
        if (text is null or "no")
        {
            return No;
        }

        if (text == "always")
        {
            return new("always", null);
        }

        if (text == "on-failure")
        {
            return new("on-failure", null);
        }

        if (text.StartsWith("on-failure:", StringComparison.Ordinal)
            && int.TryParse(text["on-failure:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 and <= 1000)
        {
            return new("on-failure", n);
        }

        throw new SandboxException(ErrorKind.InvalidArgument, $"--restart: '{text}' is not a restart policy",
            "use no, always, on-failure or on-failure:N (N from 1 to 1000)");
    }

    /// <summary>Whether an attempt that ended with <paramref name="exitCode"/>, after <paramref name="restarts"/> restarts, runs again.</summary>
    public bool ShouldRestart(int exitCode, int restarts) => Mode switch
    {
        "always" => true,
        "on-failure" => exitCode != 0 && (MaxRestarts is not { } max || restarts < max),
        _ => false,
    };

    /// <summary>The wait before restart number <paramref name="step"/> (from 0) of the current backoff run.</summary>
    public static TimeSpan Backoff(int step) =>
        step >= 10 ? Ceiling : TimeSpan.FromTicks(Math.Min(Ceiling.Ticks, First.Ticks << step));
}
