using System.Diagnostics;
using System.Globalization;

namespace Sandbox.Telemetry;

/// <summary>
/// Phase timestamps of one run, printed to stderr when enabled (SANDBOX_TRACE=1,
/// <see cref="Runtime.SandboxOptions.Trace"/>), for benchmarks: the launcher's phases (decided,
/// created, audited, started, exited, deleted) and a microVM's own (rootfs ready, VMM started,
/// guest ready, workload done, teardown). One clock for the process, so every trace lines up.
/// </summary>
public sealed class PhaseTrace(bool enabled)
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private readonly bool _enabled = enabled;
    private long _last;

    /// <summary>Starts the process's trace clock (the CLI calls it first thing, so phases count from start-up).</summary>
    public static void StartClock() => _ = Clock.IsRunning;

    public void Mark(string phase)
    {
        if (!_enabled)
        {
            return;
        }

        long now = Clock.ElapsedTicks;
        long last = Interlocked.Exchange(ref _last, now);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sandbox-trace: {Milliseconds(now),8:0.0} ms (+{Milliseconds(now - last),6:0.0} ms) {phase}"));
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
