using Sandbox.Backends;

namespace Sandbox.Lifecycle;

/// <summary>
/// docker stop on one running sandbox: SIGTERM, SIGKILL once the grace has passed, and when even
/// that did not end the workload (the runtime's kill failed, a guest that no longer answers, a
/// process the kill cannot reach) the sandbox is deleted through the backend (runtime delete
/// --force, the VMM stopped) after <see cref="KillGrace"/>, so a stop never waits forever.
/// </summary>
public static class GracefulStop
{
    /// <summary>How long SIGKILL gets to end the workload before the sandbox is deleted.</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    /// <summary>How the stop ended it: "term", "kill" or "delete".</summary>
    /// <param name="deleting">Told just before the sandbox is deleted (the workload's waiter may fail as it goes).</param>
    public static async Task<string> RunAsync(ISandbox sandbox, Task ended, TimeSpan grace, TimeSpan? killGrace = null, Action? deleting = null)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(ended);
        await sandbox.SignalAsync(15).ConfigureAwait(false); // a failed TERM still gets its grace: it may be on its way out
        if (await EndsWithin(ended, grace).ConfigureAwait(false))
        {
            return "term";
        }

        // A refused SIGKILL most often means it is already gone: its end is still awaited before deleting.
        await sandbox.SignalAsync(9).ConfigureAwait(false);
        if (await EndsWithin(ended, killGrace ?? KillGrace).ConfigureAwait(false))
        {
            return "kill";
        }

        deleting?.Invoke();
        await sandbox.DeleteAsync().ConfigureAwait(false);
        return "delete";
    }

    private static async Task<bool> EndsWithin(Task ended, TimeSpan time) =>
        ended.IsCompleted || await Task.WhenAny(ended, Task.Delay(time)).ConfigureAwait(false) == ended;
}
