using Sandbox.Runtime;

namespace Sandbox.Policy.Testing;

/// <summary>Answers the engine's host questions from a cases file's <c>host:</c> block.</summary>
public sealed class DeclaredHost(DeclaredHostFacts facts) : IBackendAvailability
{
    public Availability Backend(BackendKind backend) => facts.Backends.Contains(backend)
        ? Availability.Yes($"the cases file's host offers {PolicyNames.Backend(backend)}")
        : Availability.No($"the cases file's host does not offer {PolicyNames.Backend(backend)}");

    public Availability HostKernel(string kernel) => KernelMatch.HostProvides(kernel, facts.HostKernel);

    public Availability GuestKernel(string kernel) => Glob.AnyMatch(facts.GuestKernels, kernel)
        ? Availability.Yes($"the cases file's host has guest kernel {kernel}")
        : Availability.No($"the cases file's host has no guest kernel {kernel}");

    public AcceleratorAvailability Accelerator() => new(facts.Accelerator, "as declared in the cases file");
}
