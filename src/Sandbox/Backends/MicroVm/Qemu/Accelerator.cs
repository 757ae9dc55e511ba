namespace Sandbox.Backends.MicroVm.Qemu;

/// <summary>How QEMU executes guest code.</summary>
public enum Accelerator
{
    /// <summary>Hardware virtualization through /dev/kvm.</summary>
    Kvm,
    /// <summary>QEMU's Tiny Code Generator: instruction-by-instruction emulation, slow but needs nothing.</summary>
    Tcg,
}

/// <summary>The seam for the host probe (Sandbox.Host.Probes.KvmProbe, a timed guest loop) that tells hardware KVM from emulation.</summary>
public interface IAcceleratorProbe
{
    Accelerator Detect();
}

/// <summary>
/// Until the timed KVM probe exists: always TCG. Opening /dev/kvm is not enough to choose KVM (a
/// nested, software-emulated KVM exists and is ~1000x slower than TCG), so without the timed probe
/// the safe, working choice is TCG.
/// </summary>
public sealed class TcgOnlyProbe : IAcceleratorProbe
{
    public Accelerator Detect() => Accelerator.Tcg;
}
