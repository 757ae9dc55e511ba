namespace Sandbox.Policy;

/// <summary>Whether something the decision needs exists on this host, and why (shown to the user).</summary>
public sealed record Availability(bool Available, string Reason)
{
    public static Availability Yes(string reason) => new(true, reason);

    public static Availability No(string reason) => new(false, reason);
}

/// <summary>The best accelerator this host offers for microVMs, and why.</summary>
public sealed record AcceleratorAvailability(Accelerator Best, string Reason);

/// <summary>
/// The seam between policy and host: the engine asks it whether the decided backend, kernel and
/// accelerator exist here, so a decision that cannot be carried out is refused (fail closed) rather
/// than weakened. The launcher passes the real host's answers; tests pass a fake.
/// </summary>
public interface IBackendAvailability
{
    /// <summary>Can this build, on this host, run workloads on <paramref name="backend"/>?</summary>
    Availability Backend(BackendKind backend);

    /// <summary>Does the host's own kernel satisfy a workload asking for <paramref name="kernel"/> (the container path)?</summary>
    Availability HostKernel(string kernel);

    /// <summary>Can the microVM backend boot guest kernel <paramref name="kernel"/>?</summary>
    Availability GuestKernel(string kernel);

    /// <summary>KVM, emulation only, or nothing.</summary>
    AcceleratorAvailability Accelerator();
}
