namespace Sandbox.Host.Probes;

/// <summary>Pure: classifies KVM from the time a guest loop took against the same loop run natively.</summary>
public static class KvmClassifier
{
    /// <summary>
    /// Guest slower than this many times native means emulation. Hardware KVM runs the loop at about native
    /// speed (within 2-3x counting entry and timer noise); software nested virtualization is around 1000x.
    /// </summary>
    public const double EmulatedSlowdown = 20;

    /// <summary>guest / native, with the native time floored at 1 µs so a degenerate measurement cannot divide by 0.</summary>
    public static double Slowdown(double guestMilliseconds, double nativeMilliseconds) =>
        guestMilliseconds / Math.Max(nativeMilliseconds, 0.001);

    public static KvmKind Classify(double guestMilliseconds, double nativeMilliseconds, bool guestFinished) =>
        !guestFinished || Slowdown(guestMilliseconds, nativeMilliseconds) > EmulatedSlowdown
            ? KvmKind.Emulated
            : KvmKind.Hardware;
}
