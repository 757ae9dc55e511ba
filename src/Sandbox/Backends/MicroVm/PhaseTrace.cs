using System.Diagnostics;
using System.Globalization;

namespace Sandbox.Backends.MicroVm;

/// <summary>
/// Phase timestamps of one microVM run, printed to stderr when SANDBOX_TRACE=1 (for benchmarks:
/// rootfs ready, VMM started, guest ready, workload done, teardown).
/// </summary>
public sealed class PhaseTrace
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _enabled = Environment.GetEnvironmentVariable("SANDBOX_TRACE") == "1";
    private long _last;

    public void Mark(string phase)
    {
        if (!_enabled)
        {
            return;
        }

        long now = _clock.ElapsedMilliseconds;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sandbox-trace: {now,6} ms (+{now - _last,5} ms) {phase}"));
        _last = now;
    }
}
