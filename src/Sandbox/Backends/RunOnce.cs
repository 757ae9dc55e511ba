namespace Sandbox.Backends;

/// <summary>
/// An asynchronous action run at most once, whoever asks and how often: a sandbox's delete, which a
/// stop's fallback and the launcher's own teardown may both call. Every caller awaits the one run.
/// </summary>
internal sealed class RunOnce
{
    private readonly Lock _lock = new();
    private Task? _run;

    /// <summary>Whether the action was asked for (it may still be running).</summary>
    public bool Started
    {
        get
        {
            lock (_lock)
            {
                return _run is not null;
            }
        }
    }

    public Task RunAsync(Func<Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_lock)
        {
            return _run ??= Detached(action);
        }
    }

    private static async Task Detached(Func<Task> action)
    {
        await Task.Yield(); // the action runs outside the lock
        await action().ConfigureAwait(false);
    }
}
