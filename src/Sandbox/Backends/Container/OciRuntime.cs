using System.Globalization;
using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>
/// One OCI runtime binary (runc or crun) with a state directory private to this state root.
/// The command-line surface used here (run/kill/delete with --root, --log, --log-format json)
/// is common to both runtimes.
/// </summary>
public sealed record OciRuntime(string Name, string BinaryPath, string StateDir)
{
    public static readonly string[] Known = ["crun", "runc"];

    public static OciRuntime? Find(string name, StateRoot root) =>
        ExecutableLocator.Find(name) is { } path ? new OciRuntime(name, path, root.RuntimeState(name)) : null;

    /// <summary>
    /// Arguments for `run` in the foreground: the runtime hands its stdio to the workload and forwards
    /// signals. With <paramref name="pidFile"/>, the runtime writes the container's init PID there once
    /// the container exists: the sign that it started.
    /// </summary>
    public IReadOnlyList<string> RunArgs(string bundleDir, string logPath, string id, string? pidFile = null) =>
        ["--root", StateDir, "--log", logPath, "--log-format", "json", "run", "--bundle", bundleDir,
            .. pidFile is null ? Array.Empty<string>() : ["--pid-file", pidFile], id];

    public bool HasState(string id) => Directory.Exists(Path.Combine(StateDir, id));

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Sends a signal to the container's init; false when the runtime refused (e.g. already gone).</summary>
    public async Task<bool> KillAsync(string id, int signal) =>
        (await ExternalCommand.RunAsync(BinaryPath, ["--root", StateDir, "kill", id, signal.ToString(CultureInfo.InvariantCulture)],
            CommandTimeout, CancellationToken.None).ConfigureAwait(false)).Succeeded;

    /// <summary>How long a killed workload's runtime gets to end before `delete --force` goes ahead regardless.</summary>
    private static readonly TimeSpan RunEndsAfterKill = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A sandbox's delete: a workload still running is killed first and its <paramref name="run"/>
    /// awaited (do not tear down under a runtime still running; a failure of the run is its waiter's
    /// to report), for <see cref="RunEndsAfterKill"/> at most: a kill that failed must not hold the
    /// deletion forever, and `delete --force` kills what is left. Then the runtime's state is removed.
    /// </summary>
    public async Task StopAndDeleteAsync(string id, Task? run)
    {
        if (run is not null)
        {
            if (!run.IsCompleted)
            {
                await KillAsync(id, 9).ConfigureAwait(false);
            }

            try
            {
                // Bounded: a kill that failed must not hold the deletion forever (delete --force kills too).
                await run.WaitAsync(RunEndsAfterKill).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // reported by WaitAsync, or still running; deletion goes on
            }
        }

        await DeleteAsync(id).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string id)
    {
        if (HasState(id))
        {
            await ExternalCommand.RunAsync(BinaryPath, ["--root", StateDir, "delete", "--force", id], CommandTimeout, CancellationToken.None)
                .ConfigureAwait(false);
        }
    }
}
