using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sandbox.Host.Probes;

// The slice of the KVM ABI (linux/kvm.h, x86-64) the KVM probe needs. Layouts mirror the kernel's structs
// field for field; tests pin their sizes and the resulting ioctl numbers.

/// <summary>
/// ioctl request numbers. Linux encodes them as dir(2 bits) | size(14) | type(8) | nr(8), with type 0xAE
/// ("KVMIO"), dir 1 for _IOW (userspace writes the struct) and 2 for _IOR (the kernel fills it).
/// </summary>
internal static class KvmIoctl
{
    private const uint KvmIo = 0xAE;
    private const uint DirNone = 0;
    private const uint DirWrite = 1;
    private const uint DirRead = 2;

    /// <summary>_IO(KVMIO, 0x00): returns the API version, which has been 12 since Linux 2.6.22.</summary>
    public static readonly int GetApiVersion = Encode(DirNone, 0x00, 0);

    /// <summary>_IO(KVMIO, 0x01): returns a VM fd; the argument is the machine type (0).</summary>
    public static readonly int CreateVm = Encode(DirNone, 0x01, 0);

    /// <summary>_IO(KVMIO, 0x04): size of the shared struct kvm_run to mmap from a vCPU fd.</summary>
    public static readonly int GetVcpuMmapSize = Encode(DirNone, 0x04, 0);

    /// <summary>_IO(KVMIO, 0x41): returns a vCPU fd; the argument is the vCPU id.</summary>
    public static readonly int CreateVcpu = Encode(DirNone, 0x41, 0);

    /// <summary>_IOW(KVMIO, 0x46, struct kvm_userspace_memory_region) = 0x4020AE46.</summary>
    public static readonly int SetUserMemoryRegion = Encode(DirWrite, 0x46, Unsafe.SizeOf<KvmUserspaceMemoryRegion>());

    /// <summary>_IO(KVMIO, 0x80): runs the vCPU until it exits to userspace.</summary>
    public static readonly int Run = Encode(DirNone, 0x80, 0);

    /// <summary>_IOW(KVMIO, 0x82, struct kvm_regs) = 0x4090AE82.</summary>
    public static readonly int SetRegs = Encode(DirWrite, 0x82, Unsafe.SizeOf<KvmRegs>());

    /// <summary>_IOR(KVMIO, 0x83, struct kvm_sregs) = 0x8138AE83.</summary>
    public static readonly int GetSregs = Encode(DirRead, 0x83, Unsafe.SizeOf<KvmSregs>());

    /// <summary>_IOW(KVMIO, 0x84, struct kvm_sregs) = 0x4138AE84.</summary>
    public static readonly int SetSregs = Encode(DirWrite, 0x84, Unsafe.SizeOf<KvmSregs>());

    /// <summary>Tmds.LibC takes the request as int; the kernel reads it as a 32-bit unsigned value.</summary>
    private static int Encode(uint dir, uint nr, int size) =>
        unchecked((int)((dir << 30) | ((uint)size << 16) | (KvmIo << 8) | nr));
}

/// <summary>KVM API constants that are not ioctl numbers.</summary>
internal static class KvmConstants
{
    public const int ApiVersion = 12;

    /// <summary>Byte offset of the __u32 exit_reason in struct kvm_run (after two __u8 flags and 6 bytes of padding).</summary>
    public const int RunExitReasonOffset = 8;

    public const uint ExitHlt = 5;

    public static string ExitName(uint reason) => reason switch
    {
        0 => "KVM_EXIT_UNKNOWN",
        1 => "KVM_EXIT_EXCEPTION",
        2 => "KVM_EXIT_IO",
        5 => "KVM_EXIT_HLT",
        6 => "KVM_EXIT_MMIO",
        8 => "KVM_EXIT_SHUTDOWN",
        9 => "KVM_EXIT_FAIL_ENTRY",
        17 => "KVM_EXIT_INTERNAL_ERROR",
        _ => $"exit reason {reason}",
    };
}

/// <summary>struct kvm_userspace_memory_region (32 bytes): maps host memory at a guest-physical address.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmUserspaceMemoryRegion
{
    public uint Slot;
    public uint Flags;
    public ulong GuestPhysAddr;
    public ulong MemorySize;
    public ulong UserspaceAddr;
}

/// <summary>struct kvm_regs (144 bytes): the 16 general registers, then rip and rflags, each a __u64.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmRegs
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;
}

/// <summary>
/// struct kvm_segment (24 bytes): a segment register's hidden state. In real mode the linear address
/// is base + offset, so CS base 0 and selector 0 make rip a physical address.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmSegment
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type, Present, Dpl, Db, S, L, G, Avl;
    public byte Unusable;
    public byte Padding;
}

/// <summary>struct kvm_dtable (16 bytes): a descriptor-table register (GDTR/IDTR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmDtable
{
    public ulong Base;
    public ushort Limit;
    public ushort Padding0, Padding1, Padding2;
}

/// <summary>
/// struct kvm_sregs (312 bytes): eight segments (cs ds es fs gs ss tr ldt), gdt and idt, cr0 cr2 cr3 cr4
/// cr8 efer apic_base, and a 256-bit pending-interrupt bitmap (KVM_NR_INTERRUPTS = 256, as 4 __u64).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmSregs
{
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public KvmDtable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase;
    public fixed ulong InterruptBitmap[4];
}
