using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sandbox.Host.Probes;

namespace Sandbox.Tests.Unit.Host;

/// <summary>Pins the hand-written KVM ABI to the values in linux/kvm.h for x86-64.</summary>
public sealed class KvmAbiTests
{
    [Fact]
    public void Struct_sizes_match_the_kernel()
    {
        Assert.Equal(32, Unsafe.SizeOf<KvmUserspaceMemoryRegion>());
        Assert.Equal(144, Unsafe.SizeOf<KvmRegs>());
        Assert.Equal(24, Unsafe.SizeOf<KvmSegment>());
        Assert.Equal(16, Unsafe.SizeOf<KvmDtable>());
        Assert.Equal(312, Unsafe.SizeOf<KvmSregs>());
    }

    [Fact]
    public void Field_offsets_match_the_kernel()
    {
        Assert.Equal(8, (int)Marshal.OffsetOf<KvmUserspaceMemoryRegion>(nameof(KvmUserspaceMemoryRegion.GuestPhysAddr)));
        Assert.Equal(24, (int)Marshal.OffsetOf<KvmUserspaceMemoryRegion>(nameof(KvmUserspaceMemoryRegion.UserspaceAddr)));
        Assert.Equal(128, (int)Marshal.OffsetOf<KvmRegs>(nameof(KvmRegs.Rip)));
        Assert.Equal(136, (int)Marshal.OffsetOf<KvmRegs>(nameof(KvmRegs.Rflags)));
        Assert.Equal(12, (int)Marshal.OffsetOf<KvmSegment>(nameof(KvmSegment.Selector)));
        Assert.Equal(0, (int)Marshal.OffsetOf<KvmSregs>(nameof(KvmSregs.Cs)));
        Assert.Equal(192, (int)Marshal.OffsetOf<KvmSregs>(nameof(KvmSregs.Gdt)));
        Assert.Equal(224, (int)Marshal.OffsetOf<KvmSregs>(nameof(KvmSregs.Cr0)));
        Assert.Equal(280, (int)Marshal.OffsetOf<KvmSregs>(nameof(KvmSregs.InterruptBitmap)));
    }

    [Fact]
    public void Ioctl_numbers_match_the_kernel()
    {
        Assert.Equal(0xAE00u, (uint)KvmIoctl.GetApiVersion);
        Assert.Equal(0xAE01u, (uint)KvmIoctl.CreateVm);
        Assert.Equal(0xAE04u, (uint)KvmIoctl.GetVcpuMmapSize);
        Assert.Equal(0xAE41u, (uint)KvmIoctl.CreateVcpu);
        Assert.Equal(0x4020AE46u, (uint)KvmIoctl.SetUserMemoryRegion);
        Assert.Equal(0xAE80u, (uint)KvmIoctl.Run);
        Assert.Equal(0x4090AE82u, (uint)KvmIoctl.SetRegs);
        Assert.Equal(0x8138AE83u, (uint)KvmIoctl.GetSregs);
        Assert.Equal(0x4138AE84u, (uint)KvmIoctl.SetSregs);
    }

    [Fact]
    public async Task A_missing_device_is_absent_and_names_the_errno()
    {
        KvmResult result = await KvmProbe.RunAsync("/nonexistent/kvm", 1000, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(KvmKind.Absent, result.Kind);
        Assert.False(result.Ok);
        Assert.Null(result.Timing);
        Assert.StartsWith("/nonexistent/kvm: ENOENT", result.Detail, StringComparison.Ordinal);
        Assert.NotNull(result.Remedy);
    }

    [Fact]
    public async Task A_device_that_is_not_kvm_is_absent()
    {
        KvmResult result = await KvmProbe.RunAsync("/dev/null", 1000, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(KvmKind.Absent, result.Kind);
        Assert.StartsWith("KVM_GET_API_VERSION: ENOTTY", result.Detail, StringComparison.Ordinal);
    }
}
