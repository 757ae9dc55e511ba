using Sandbox.Host.Probes;

namespace Sandbox.Tests.Unit.Host;

public sealed class KvmClassifierTests
{
    [Theory]
    [InlineData(0.3, 0.5, true, KvmKind.Hardware)]      // hardware: the guest loop beats the managed one
    [InlineData(1.0, 0.5, true, KvmKind.Hardware)]      // entry overhead and timer noise
    [InlineData(10.0, 0.5, true, KvmKind.Hardware)]     // exactly 20x is still hardware
    [InlineData(10.1, 0.5, true, KvmKind.Emulated)]     // just past the threshold
    [InlineData(722.0, 0.5, true, KvmKind.Emulated)]    // this project's nested-KVM hosts (~1000x)
    [InlineData(5000.0, 0.5, false, KvmKind.Emulated)]  // did not halt before the deadline
    [InlineData(0.1, 0.5, false, KvmKind.Emulated)]     // an unfinished guest is never hardware
    public void Classifies_by_slowdown(double guestMs, double nativeMs, bool finished, KvmKind expected) =>
        Assert.Equal(expected, KvmClassifier.Classify(guestMs, nativeMs, finished));

    [Fact]
    public void A_zero_native_time_does_not_divide_by_zero()
    {
        Assert.Equal(1000, KvmClassifier.Slowdown(1, 0), precision: 6);
        Assert.Equal(KvmKind.Hardware, KvmClassifier.Classify(0.01, 0, true));
    }

    [Fact]
    public void Threshold_sits_far_from_both_regimes()
    {
        Assert.InRange(KvmClassifier.EmulatedSlowdown, 10, 100);
    }
}
