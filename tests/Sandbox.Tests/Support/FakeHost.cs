using Sandbox.Policy;

namespace Sandbox.Tests.Support;

/// <summary>
/// A host for policy tests: the container backend is present; the microVM backend, guest kernels
/// and the accelerator are whatever the test says; the host kernel is 6.1.
/// </summary>
public sealed record FakeHost(bool MicroVm = true, Accelerator Best = Accelerator.Kvm, bool GuestKernels = true) : IBackendAvailability
{
    public const string Release = "6.1.0-test";

    public static FakeHost WithoutMicroVm { get; } = new(MicroVm: false);

    public Availability Backend(BackendKind backend) => backend switch
    {
        BackendKind.Container => Availability.Yes("fake runc"),
        BackendKind.MicroVm when MicroVm => Availability.Yes("fake qemu"),
        _ => Availability.No("microVM backend not available on this build"),
    };

    public Availability HostKernel(string kernel) => Sandbox.Runtime.KernelMatch.HostProvides(kernel, Release);

    public Availability GuestKernel(string kernel) => GuestKernels ? Availability.Yes("in the fake catalog") : Availability.No("not in the fake catalog");

    public AcceleratorAvailability Accelerator() => new(Best, Best switch
    {
        Policy.Accelerator.Kvm => "fake /dev/kvm",
        Policy.Accelerator.Emulation => "no /dev/kvm, fake qemu-system-x86_64 for TCG",
        _ => "no /dev/kvm and no qemu",
    });
}
