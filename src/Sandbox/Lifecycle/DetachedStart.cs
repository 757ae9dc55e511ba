using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Lifecycle;

/// <summary>
/// `run -d`: records the sandbox (its name checked unique, nothing written when taken), starts its
/// supervisor, and returns once the workload runs, or with the reason it could not (the supervisor's
/// own message, exit 125, and nothing left behind).
/// </summary>
public static class DetachedStart
{
    private static readonly TimeSpan SupervisorDeadline = TimeSpan.FromSeconds(120);

    /// <summary>How long the supervisor may take to start and claim its row (a NativeAOT start takes milliseconds).</summary>
    private static readonly TimeSpan ClaimDeadline = TimeSpan.FromSeconds(30);

    public static async Task<string> StartAsync(StateRoot root, RunRequest request, IReadOnlyList<string> runArguments, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(request);
        string id = WorkloadSpecBuilder.NewId();
        using var span = Telemetry.LifecycleDiagnostics.StartAction("run", id);
        span?.SetTag("sandbox.name", request.Name);
        using var sandboxes = new DetachedSandboxes(root);
        await sandboxes.ReconcileAsync().ConfigureAwait(false);
        var paths = sandboxes.PathsOf(id);
        paths.Create();
        // Held before the row exists: a reconcile tells a start under way from one killed midway (kill -9 of this CLI).
        using var starting = SupervisorLock.TryTake(paths.Starting);
        try
        {
            sandboxes.Store.Add(new SandboxRecord(id, request.Name ?? id, request.Image, PolicyNames.Backend(request.Backend)) { Created = DateTime.UtcNow });
        }
        catch
        {
            SandboxDirectory.Remove(paths);
            throw;
        }

        int? died = null; // a supervisor that died after it claimed the row: what its launcher left is reaped
        try
        {
            await SupervisorProcess.SpawnAsync(id, runArguments).ConfigureAwait(false);
            var spawned = DateTime.UtcNow;
            while (true)
            {
                var row = sandboxes.Store.Find(id);
                if (row is null || row.Started is not null)
                {
                    return id; // running, or already ended (and removed with --rm)
                }

                if (row.SupervisorPid is { } pid && !SupervisorLock.IsHeld(paths.Lock))
                {
                    died = pid;
                    throw Failed(id, paths);
                }

                bool supervisorGone = row.Status == SandboxStatus.Exited // it recorded that it never started the workload
                    || (row.SupervisorPid is null && DateTime.UtcNow - spawned > ClaimDeadline && !SupervisorLock.IsHeld(paths.Lock)) // it never came up, or died first
                    || DateTime.UtcNow - spawned > SupervisorDeadline; // it never started the workload
                if (supervisorGone)
                {
                    throw Failed(id, paths);
                }

                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Telemetry.LifecycleDiagnostics.Failed(span, e);
            SandboxDirectory.Remove(paths); // the files first: a kill -9 in between leaves a row to rm, never files without one
            sandboxes.Store.Remove(id);
            if (died is { } pid)
            {
                await sandboxes.ReapAfterAsync(pid).ConfigureAwait(false); // no row is left for a later reconcile to correct
            }

            throw;
        }
    }

    // The supervisor wrote why (policy refusal, bad image...) to its log as the CLI would have.
    private static SandboxException Failed(string id, SandboxPaths paths)
    {
        string said = File.Exists(paths.SupervisorLog) ? File.ReadAllText(paths.SupervisorLog).Trim() : "";
        string[] lines = said.Split('\n');
        string message = lines.FirstOrDefault(l => l.StartsWith("sandbox: ", StringComparison.Ordinal))?["sandbox: ".Length..]
            ?? (said.Length > 0 ? lines[0] : $"the supervisor of {id} ended before the workload started");
        string? hint = lines.FirstOrDefault(l => l.StartsWith("hint: ", StringComparison.Ordinal))?["hint: ".Length..];
        return new SandboxException(ErrorKind.EngineFailed, message, hint);
    }
}
