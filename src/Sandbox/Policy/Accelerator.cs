namespace Sandbox.Policy;

/// <summary>How a microVM's CPU is virtualized.</summary>
public enum Accelerator
{
    /// <summary>No virtualization (containers), or none available.</summary>
    None,
    /// <summary>Hardware virtualization through /dev/kvm.</summary>
    Kvm,
    /// <summary>QEMU's TCG: software emulation, slower, and only when a rule allows it.</summary>
    Emulation,
}
