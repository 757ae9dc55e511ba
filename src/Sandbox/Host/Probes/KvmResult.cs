namespace Sandbox.Host.Probes;

/// <summary>What KVM really offers, judged by timing a guest rather than by /dev/kvm existing.</summary>
public enum KvmKind
{
    /// <summary>No usable KVM: /dev/kvm missing or inaccessible, or a VM could not be built and run.</summary>
    Absent,
    /// <summary>KVM runs guests, but far slower than native (software nested virtualization): use TCG.</summary>
    Emulated,
    /// <summary>Hardware-assisted KVM: guest code runs at about native speed.</summary>
    Hardware,
}

/// <summary>
/// The timing behind a KVM verdict. Both loops run <see cref="Iterations"/> times. When the guest did not halt
/// before the deadline, <see cref="GuestMilliseconds"/> is the deadline and <see cref="Slowdown"/> a lower bound.
/// </summary>
public sealed record KvmTiming(
    uint Iterations,
    double NativeMilliseconds,
    double GuestMilliseconds,
    bool GuestFinished,
    double Slowdown);

/// <summary>
/// The KVM check. <see cref="Ok"/> is true only for <see cref="KvmKind.Hardware"/>. KVM is optional: without it
/// the microVM backend uses QEMU's TCG accelerator. <see cref="Timing"/> is null when no guest ran.
/// </summary>
public sealed record KvmResult(
    KvmKind Kind,
    bool Ok,
    string Detail,
    string? Remedy,
    KvmTiming? Timing,
    double ElapsedMilliseconds);
