using Sandbox.Audit;

namespace Sandbox.Backends;

/// <summary>Where a sandbox is in its lifecycle (the OCI runtime spec's states).</summary>
public enum SandboxState
{
    /// <summary>Everything is prepared; nothing of the workload runs.</summary>
    Created,

    /// <summary>The workload was started and has not been reaped.</summary>
    Running,

    /// <summary>The workload exited (or never started and was deleted).</summary>
    Stopped,
}

/// <summary>How a workload ended: its exit code (128+N for a signal), and whether its timeout ended it.</summary>
public sealed record WorkloadExit(int ExitCode, bool TimedOut)
{
    /// <summary>sandbox analyze: whether the guest's collector report arrived (microVM only).</summary>
    public bool ReportReceived { get; init; }
}

/// <summary>
/// One created sandbox. <see cref="DeleteAsync"/> (also <see cref="IAsyncDisposable.DisposeAsync"/>)
/// stops whatever still runs and removes everything <see cref="ISandboxBackend.CreateAsync"/> made.
/// </summary>
public interface ISandbox : IAsyncDisposable
{
    string Id { get; }

    SandboxState State { get; }

    /// <summary>
    /// The hardening as applied, read back from what was rendered; after <see cref="WaitAsync"/> it
    /// may carry the backend's own confirmation (a microVM guest's report).
    /// </summary>
    AppliedHardening Applied { get; }

    /// <summary>Starts the workload; its streams flow to the I/O given at create.</summary>
    Task StartAsync(CancellationToken ct);

    /// <summary>Sends <paramref name="signal"/> to the workload; false when there is nothing to signal.</summary>
    Task<bool> SignalAsync(int signal);

    /// <summary>
    /// Waits for the workload to end (applying the timeout and forwarding the launcher's signals);
    /// throws <see cref="Runtime.SandboxException"/> when the backend, not the workload, failed.
    /// </summary>
    Task<WorkloadExit> WaitAsync();

    /// <summary>Stops what still runs and removes what create made. Idempotent.</summary>
    Task DeleteAsync();
}
