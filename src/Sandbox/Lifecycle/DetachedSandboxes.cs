using Sandbox.Backends.Container;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Lifecycle;

/// <summary>
/// What the lifecycle verbs read: the state database, reconciled first. A row whose supervisor's
/// lock is free (it died, even by kill -9) is exited, and what it left (run directory, runtime
/// state, ID lease) is reaped as for any dead launcher, so `ps` never shows a dead sandbox running.
/// </summary>
public sealed class DetachedSandboxes(StateRoot root) : IDisposable
{
    private readonly SandboxStore _store = SandboxStore.Open(Prepared(root));

    public SandboxStore Store => _store;

    public SandboxPaths PathsOf(string id) => new(root, id);

    public async Task ReconcileAsync()
    {
        // Judged inside the store's transaction, on the rows as they are then: a PID written since is seen.
        var dead = new List<int>();
        var corrected = _store.Reconcile(pid => SupervisorAlive(pid) || Noted(dead, pid), DateTime.UtcNow, Starting);
        if (corrected.Count > 0)
        {
            // A supervisor killed a moment ago may still be exiting: its memory (and command line) is
            // gone before its files are closed, and the reaper skips a run whose owner lock is held.
            // Reaped once it has finished dying, or this correction would be the last chance missed.
            await Task.WhenAll(dead.Select(FinishedDyingAsync)).ConfigureAwait(false);
            await OrphanReaper.ReapRunsAsync(root).ConfigureAwait(false);
            await OrphanReaper.ReapLeasesAsync(root).ConfigureAwait(false);
        }
    }

    /// <summary>Reaps what the dead supervisor <paramref name="pid"/> left, once it has finished dying.</summary>
    public async Task ReapAfterAsync(int pid)
    {
        await FinishedDyingAsync(pid).ConfigureAwait(false);
        await OrphanReaper.ReapRunsAsync(root).ConfigureAwait(false);
        await OrphanReaper.ReapLeasesAsync(root).ConfigureAwait(false);
    }

    private static bool Noted(List<int> dead, int pid)
    {
        dead.Add(pid);
        return false;
    }

    /// <summary>Waits (5 s at most: the PID may have been reused) until the process is gone or a zombie, i.e. its files are closed.</summary>
    private static async Task FinishedDyingAsync(int pid)
    {
        for (int i = 0; i < 100; i++)
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // gone
            }

            int end = stat.LastIndexOf(')');
            if (end < 0 || end + 2 >= stat.Length || stat[end + 2] is 'Z' or 'X')
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>A start under way: its `run -d` holds the starting lock, or its supervisor already holds its own.</summary>
    private bool Starting(string id) => SupervisorLock.IsHeld(PathsOf(id).Starting) || SupervisorLock.IsHeld(PathsOf(id).Lock);

    /// <summary>
    /// A live supervisor: the process is this program's `supervise ID` and ID's lock is held. The
    /// lock, not the PID alone, decides: a recycled PID holds no sandbox's lock.
    /// </summary>
    private bool SupervisorAlive(int pid)
    {
        string[] argv;
        try
        {
            argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone
        }

        int verb = Array.IndexOf(argv, "supervise");
        return verb >= 0 && verb + 1 < argv.Length && SupervisorLock.IsHeld(PathsOf(argv[verb + 1]).Lock);
    }

    /// <summary>
    /// Ends a supervisor that no longer answers (SIGKILL, only if it is still the live supervisor of
    /// <paramref name="id"/>), then reconciles: its row is marked exited and what it left is reaped
    /// as for any dead supervisor (the runtime's container, the jailed VMM, mounts, cgroups, lease).
    /// </summary>
    public async Task AbandonSupervisorAsync(string id)
    {
        if (_store.Find(id) is { SupervisorPid: int pid } && SupervisorAlive(pid))
        {
            _ = Tmds.Linux.LibC.kill(pid, 9);
            for (int i = 0; i < 100 && SupervisorLock.IsHeld(PathsOf(id).Lock); i++)
            {
                await Task.Delay(50).ConfigureAwait(false); // the kernel drops its lock as it dies
            }
        }

        await ReconcileAsync().ConfigureAwait(false);
    }

    /// <summary>The sandbox named by an ID or name; 125 naming it when there is none.</summary>
    public SandboxRecord Require(string idOrName) => _store.Find(idOrName)
        ?? throw new SandboxException(ErrorKind.InvalidArgument, $"no such sandbox: {idOrName}", "sandbox ps -a lists the sandboxes by ID and name");

    /// <summary>The sandbox named by an ID or name whose workload runs now; 125 naming it otherwise (exec, cp).</summary>
    public SandboxRecord RequireRunning(string idOrName)
    {
        var row = Require(idOrName);
        return row.Status == SandboxStatus.Running ? row
            : throw NotRunning(idOrName);
    }

    public static SandboxException NotRunning(string idOrName) => new(ErrorKind.StateConflict, $"sandbox {idOrName} is not running",
        $"sandbox ps -a shows its state; a sandbox that exited is run again with sandbox run -d (sandbox logs {idOrName} shows why it ended)");

    /// <summary>Waits until the sandbox has exited (reconciling meanwhile, so a dead supervisor ends the wait).</summary>
    public async Task<SandboxRecord> WaitExitedAsync(string id, CancellationToken ct)
    {
        while (true)
        {
            await ReconcileAsync().ConfigureAwait(false);
            var row = _store.Find(id);
            if (row is null || row.Status == SandboxStatus.Exited)
            {
                return row ?? throw new SandboxException(ErrorKind.InvalidArgument, $"no such sandbox: {id} (it was removed)", "sandbox ps -a lists the sandboxes");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    public void Dispose() => _store.Dispose();

    // The root and its sandboxes/ directory exist (0700) before the database is opened in it.
    private static StateRoot Prepared(StateRoot root)
    {
        root.Ensure(System.IO.Path.Combine(root.Path, "sandboxes"));
        return root;
    }
}
