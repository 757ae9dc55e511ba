using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Sandbox.Host.Probes;

/// <summary>The host-side reference for the KVM guest loop: a tight counted loop of the same length.</summary>
internal static class NativeLoop
{
    private static uint s_sink;

    /// <summary>The best of <paramref name="runs"/> timings, so one preemption does not inflate the reference.</summary>
    public static TimeSpan Time(uint iterations, int runs = 3)
    {
        TimeSpan best = TimeSpan.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            s_sink += Spin(iterations);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            best = elapsed < best ? elapsed : best;
        }

        return best;
    }

    // Optimized from the first call (no tier-0 code) and not inlined, so the loop is timed as compiled.
    // The result feeds a static sink so the JIT cannot drop the loop as dead code.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static uint Spin(uint iterations)
    {
        uint acc = 0;
        for (uint i = iterations; i != 0; i--)
        {
            acc = (acc * 5) + i;
        }

        return acc;
    }
}
