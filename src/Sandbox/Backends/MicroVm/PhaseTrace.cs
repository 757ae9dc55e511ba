using System.Diagnostics;
using System.Globalization;

namespace Sandbox.Backends.MicroVm;

/// <summary>
/// Phase timestamps of one microVM run, printed to stderr when enabled (SANDBOX_TRACE=1, <see cref="Runtime.SandboxOptions.Trace"/>) (for benchmarks:
/// rootfs ready, VMM started, guest ready, workload done, teardown).
/// </summary>
public sealed class PhaseTrace(bool enabled)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _enabled = enabled;
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
