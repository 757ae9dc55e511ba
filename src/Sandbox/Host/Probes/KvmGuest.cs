using System.Diagnostics;
using System.Text;
using Sandbox.Host.Interop;
using Tmds.Linux;

namespace Sandbox.Host.Probes;

/// <summary>A KVM setup step failed; the message names the step and the errno.</summary>
internal sealed class KvmProbeException(string message) : Exception(message);

/// <summary>
/// A one-vCPU, one-page real-mode VM that runs a counted loop and halts:
/// <code>
/// 0x1000: 66 B9 nn nn nn nn   mov ecx, N     (0x66: 32-bit operand in 16-bit real mode)
/// 0x1006: 66 49               dec ecx
/// 0x1008: 75 FC               jnz 0x1006     (rel8 -4 from the next instruction at 0x100A)
/// 0x100A: F4                  hlt            (no in-kernel irqchip, so KVM exits with KVM_EXIT_HLT)
/// </code>
/// Not thread-safe; one thread creates, runs and disposes it.
/// </summary>
internal sealed class KvmGuest : IDisposable
{
    public const ulong GuestAddress = 0x1000;
    private const int PageSize = 4096;
    private const int ImmediateOffset = 2;

    private static readonly byte[] Code = [0x66, 0xB9, 0, 0, 0, 0, 0x66, 0x49, 0x75, 0xFC, 0xF4];

    private int _kvm = -1;
    private int _vm = -1;
    private int _vcpu = -1;
    private nint _memory;
    private nint _run;
    private int _runSize;

    private KvmGuest()
    {
    }

    /// <summary>Opens /dev/kvm and builds the VM. Throws <see cref="KvmProbeException"/> naming the failed step.</summary>
    public static KvmGuest Create(string device = "/dev/kvm")
    {
        var guest = new KvmGuest();
        try
        {
            guest.Build(device);
            return guest;
        }
        catch
        {
            guest.Dispose();
            throw;
        }
    }

    /// <summary>Runs the loop <paramref name="iterations"/> times (at least 1) and returns the time spent in KVM_RUN.</summary>
    public TimeSpan RunLoop(uint iterations)
    {
        ArgumentOutOfRangeException.ThrowIfZero(iterations);
        var regs = new KvmRegs { Rip = GuestAddress, Rflags = 0x2 }; // bit 1 of rflags is reserved and must be 1
        long start;
        uint exit;
        unsafe
        {
            // SAFETY: _memory is a live PageSize mapping owned by this object and ImmediateOffset + 4 < PageSize.
            *(uint*)((byte*)_memory + ImmediateOffset) = iterations;

            // SAFETY: &regs is a local struct kvm_regs, the type KVM_SET_REGS encodes.
            Ioctl(_vcpu, KvmIoctl.SetRegs, &regs, "KVM_SET_REGS");

            start = Stopwatch.GetTimestamp();

            // SAFETY: KVM_RUN takes no argument; the vCPU fd and the guest memory it runs stay alive until Dispose.
            while (LibC.ioctl(_vcpu, KvmIoctl.Run, null) < 0)
            {
                int errno = LibC.errno;
                if (errno != LibC.EINTR)
                {
                    throw new KvmProbeException($"KVM_RUN: {Errno.Describe(errno)}");
                }
            }

            // SAFETY: _run maps _runSize (>= 4 KiB) bytes of struct kvm_run; exit_reason is a __u32 at offset 8.
            exit = *(uint*)((byte*)_run + KvmConstants.RunExitReasonOffset);
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        if (exit != KvmConstants.ExitHlt)
        {
            throw new KvmProbeException($"KVM_RUN ended with {KvmConstants.ExitName(exit)}, expected KVM_EXIT_HLT");
        }

        return elapsed;
    }

    public void Dispose()
    {
        unsafe
        {
            // SAFETY: each mapping came from mmap with exactly this length and is unmapped once (then zeroed).
            if (_run != 0)
            {
                _ = LibC.munmap((void*)_run, _runSize);
            }

            if (_memory != 0)
            {
                _ = LibC.munmap((void*)_memory, PageSize);
            }
        }

        _run = _memory = 0;
        foreach (int fd in new[] { _vcpu, _vm, _kvm })
        {
            if (fd >= 0)
            {
                _ = LibC.close(fd);
            }
        }

        _vcpu = _vm = _kvm = -1;
    }

    private void Build(string device)
    {
        byte[] path = Encoding.UTF8.GetBytes(device + "\0");
        unsafe
        {
            // SAFETY: path is pinned and NUL-terminated for the duration of open(2).
            fixed (byte* p = path)
            {
                _kvm = LibC.open(p, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
            }
        }

        if (_kvm < 0)
        {
            throw new KvmProbeException($"{device}: {Errno.Describe(LibC.errno)}");
        }

        int version = Ioctl(_kvm, KvmIoctl.GetApiVersion, 0, "KVM_GET_API_VERSION");
        if (version != KvmConstants.ApiVersion)
        {
            throw new KvmProbeException($"KVM_GET_API_VERSION returned {version}, expected {KvmConstants.ApiVersion}");
        }

        // VM and vCPU fds come back with O_CLOEXEC set by KVM, so concurrently spawned probes never inherit them.
        _vm = Ioctl(_kvm, KvmIoctl.CreateVm, 0, "KVM_CREATE_VM");
        _memory = Map(PageSize, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, "guest memory");
        unsafe
        {
            // SAFETY: Code.Length is far below PageSize and _memory is a fresh writable mapping of PageSize bytes.
            Code.CopyTo(new Span<byte>((void*)_memory, PageSize));
        }

        var region = new KvmUserspaceMemoryRegion
        {
            Slot = 0,
            GuestPhysAddr = GuestAddress,
            MemorySize = PageSize,
            UserspaceAddr = (ulong)_memory,
        };
        unsafe
        {
            // SAFETY: &region is a local struct kvm_userspace_memory_region, the type the request encodes; the
            // memory it names stays mapped until Dispose, after the VM fd is closed.
            Ioctl(_vm, KvmIoctl.SetUserMemoryRegion, &region, "KVM_SET_USER_MEMORY_REGION");
        }

        _vcpu = Ioctl(_vm, KvmIoctl.CreateVcpu, 0, "KVM_CREATE_VCPU");
        _runSize = Ioctl(_kvm, KvmIoctl.GetVcpuMmapSize, 0, "KVM_GET_VCPU_MMAP_SIZE");
        _run = Map(_runSize, LibC.MAP_SHARED, _vcpu, "kvm_run");

        // Reset state is real mode with CS base 0xFFFF0000 / selector 0xF000; point CS at 0 so rip is physical.
        KvmSregs sregs;
        unsafe
        {
            // SAFETY: &sregs is a local struct kvm_sregs, the type KVM_GET_SREGS fills and KVM_SET_SREGS reads.
            Ioctl(_vcpu, KvmIoctl.GetSregs, &sregs, "KVM_GET_SREGS");
            sregs.Cs.Base = 0;
            sregs.Cs.Selector = 0;
            Ioctl(_vcpu, KvmIoctl.SetSregs, &sregs, "KVM_SET_SREGS");
        }
    }

    private static nint Map(int length, int flags, int fd, string what)
    {
        unsafe
        {
            // SAFETY: a new read-write mapping chosen by the kernel (addr null); the caller owns it until Dispose.
            void* address = LibC.mmap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, flags, fd, 0);
            if (address == LibC.MAP_FAILED)
            {
                throw new KvmProbeException($"mmap {what}: {Errno.Describe(LibC.errno)}");
            }

            return (nint)address;
        }
    }

    private static int Ioctl(int fd, int request, int argument, string name) => Check(LibC.ioctl(fd, request, argument), name);

    private static unsafe int Ioctl(int fd, int request, void* argument, string name) =>
        Check(LibC.ioctl(fd, request, argument), name);

    private static int Check(int rc, string name) =>
        rc < 0 ? throw new KvmProbeException($"{name}: {Errno.Describe(LibC.errno)}") : rc;
}
