using Sandbox.Runtime;

namespace Sandbox.Backends;

/// <summary>A foreground run on any backend: create, start, wait, and delete whatever happened.</summary>
public static class SandboxLifecycle
{
    /// <param name="created">
    /// Told once the sandbox is created and before it starts (the launcher audits "started" here:
    /// no unaudited workload); told again, with the same sandbox, after it ended (its
    /// <see cref="ISandbox.Applied"/> may then carry the backend's confirmation).
    /// </param>
    public static async Task<WorkloadExit> RunToCompletionAsync(
        this ISandboxBackend backend, WorkloadSpec spec, WorkloadIo io, Action<ISandbox, SandboxState> created, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(created);
        ISandbox sandbox = await backend.CreateAsync(spec, io, ct).ConfigureAwait(false);
        try
        {
            created(sandbox, SandboxState.Created);
            await sandbox.StartAsync(ct).ConfigureAwait(false);
            try
            {
                return await sandbox.WaitAsync().ConfigureAwait(false);
            }
            finally
            {
                created(sandbox, SandboxState.Stopped);
            }
        }
        finally
        {
            await sandbox.DeleteAsync().ConfigureAwait(false);
        }
    }
}
