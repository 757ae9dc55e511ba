using Sandbox.Runtime;

namespace Sandbox.Policy.Replay;

/// <summary>
/// The host as a replay assumes it: every backend and guest kernel available (a replay asks what
/// policy decides, not what this machine can run today), the host kernel as recorded, and the
/// accelerator the record names (emulation when it names none: the weaker answer, so a rule that
/// refuses emulation shows up as a difference rather than hiding one).
/// </summary>
public sealed class RecordedHost(string? hostKernel, Accelerator accelerator) : IBackendAvailability
{
    public Availability Backend(BackendKind backend) => Availability.Yes("replay: backends are assumed available");

    public Availability HostKernel(string kernel) => hostKernel is null
        ? Availability.No("replay: the record does not name the host kernel")
        : KernelMatch.HostProvides(kernel, hostKernel);

    public Availability GuestKernel(string kernel) => Availability.Yes("replay: guest kernels are assumed fetched");

    public AcceleratorAvailability Accelerator() => accelerator == Policy.Accelerator.None
        ? new AcceleratorAvailability(Policy.Accelerator.Emulation, "replay: the record names no accelerator; emulation assumed")
        : new AcceleratorAvailability(accelerator, "replay: the accelerator of the record");
}
