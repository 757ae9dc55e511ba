using Microsoft.Extensions.Hosting;
using Sandbox.Backends;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Lifecycle;

/// <summary>What one supervisor runs: the request, its sandbox's ID and files, and how it stops.</summary>
public sealed record SupervisedRun(RunRequest Request, SandboxPaths Paths, StateRoot Root, bool RemoveWhenDone, long LogMaxBytes);

/// <summary>
/// A detached sandbox's supervisor (conmon's role, one per sandbox, no daemon): runs the workload
/// through the launcher (policy, audit, the backend's create/start/wait/delete), pumps its output
/// into the capped json-file log, serves `stop` and `kill` on the control socket, records the exit
/// in the state database, and on SIGTERM (the host's stop) stops the workload with a 10 s grace.
/// It is the only writer of its sandbox's row while it lives.
/// </summary>
public sealed class SupervisorService(SupervisedRun run, Launcher launcher, IHostApplicationLifetime lifetime) : IHostedService, IDisposable
{
    private static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _serving = new();
    private readonly TaskCompletionSource<ISandbox> _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _workload = Task.CompletedTask;
    private Task _control = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _control = SupervisorControl.ServeAsync(run.Paths.Control, HandleAsync, _serving.Token);
        _workload = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await StopWorkloadAsync(DefaultGrace).ConfigureAwait(false);
        await _workload.ConfigureAwait(false);
        await _serving.CancelAsync().ConfigureAwait(false);
        await _control.ConfigureAwait(false);
    }

    public void Dispose() => _serving.Dispose();

    private async Task RunAsync()
    {
        int exitCode;
        using (var log = new JsonFileLog(run.Paths.Log, run.LogMaxBytes))
        {
            var io = new WorkloadIo(null, log.Stream("stdout"), log.Stream("stderr"), ForwardSignals: false);
            try
            {
                exitCode = await launcher.RunAsync(run.Request, io, (sandbox, state) =>
                {
                    if (state == SandboxState.Created)
                    {
                        Record(r => r with { Status = SandboxStatus.Running, Started = DateTime.UtcNow, Backend = sandbox.Applied.Backend });
                        _created.TrySetResult(sandbox);
                    }
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (SandboxException e)
            {
                // Why it never ran goes to the supervisor's log; `run -d` shows it and exits 125.
                await Console.Error.WriteLineAsync(e.Hint is null ? $"sandbox: {e.Message}" : $"sandbox: {e.Message}\nhint: {e.Hint}").ConfigureAwait(false);
                exitCode = ExitCodes.SandboxFailed;
            }
        }

        bool ran = _created.Task.IsCompletedSuccessfully;
        _created.TrySetCanceled();
        if (run.RemoveWhenDone && ran) // one that never ran is left for `run -d` to report
        {
            using var store = SandboxStore.Open(run.Root);
            store.Remove(run.Request.Id!);
            SandboxDirectory.Remove(run.Paths);
        }
        else
        {
            Record(r => r with { Status = SandboxStatus.Exited, ExitCode = exitCode, Finished = DateTime.UtcNow, SupervisorPid = null });
        }

        lifetime.StopApplication();
    }

    private async Task<string> HandleAsync(string line)
    {
        if (!SupervisorControl.TryParse(line, out string verb, out int value))
        {
            return "error: bad request";
        }

        switch (verb)
        {
            case "kill":
                return _workload.IsCompleted || !_created.Task.IsCompletedSuccessfully
                    ? "error: not running"
                    : await _created.Task.Result.SignalAsync(value).ConfigureAwait(false) ? "ok" : "error: not running";
            case "stop":
                await StopWorkloadAsync(TimeSpan.FromSeconds(value)).ConfigureAwait(false);
                await _workload.ConfigureAwait(false);
                return "ok";
            default:
                return "error: unknown request";
        }
    }

    /// <summary>docker stop: SIGTERM, then SIGKILL once <paramref name="grace"/> has passed.</summary>
    private async Task StopWorkloadAsync(TimeSpan grace)
    {
        if (_workload.IsCompleted)
        {
            return;
        }

        ISandbox sandbox;
        try
        {
            sandbox = await _created.Task.ConfigureAwait(false);
        }
        catch (TaskCanceledException)
        {
            return; // it never started
        }

        await sandbox.SignalAsync(15).ConfigureAwait(false);
        if (await Task.WhenAny(_workload, Task.Delay(grace)).ConfigureAwait(false) != _workload)
        {
            await sandbox.SignalAsync(9).ConfigureAwait(false);
        }
    }

    private void Record(Func<SandboxRecord, SandboxRecord> change)
    {
        using var store = SandboxStore.Open(run.Root);
        if (store.Find(run.Request.Id!) is { } row)
        {
            store.Update(change(row));
        }
    }
}
