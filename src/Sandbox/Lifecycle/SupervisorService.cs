using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sandbox.Backends;
using Sandbox.Runtime;
using Sandbox.State;
using Sandbox.Telemetry;

namespace Sandbox.Lifecycle;

/// <summary>What one supervisor runs: the request, its sandbox's ID and files, and how it stops.</summary>
public sealed record SupervisedRun(RunRequest Request, SandboxPaths Paths, StateRoot Root, bool RemoveWhenDone, long LogMaxBytes)
{
    public RestartPolicy Restart { get; init; } = RestartPolicy.No;
}

/// <summary>
/// A detached sandbox's supervisor (conmon's role, one per sandbox, no daemon): runs the workload
/// through the launcher (policy, audit, the backend's create/start/wait/delete), pumps its output
/// into the capped json-file log, serves `stop` and `kill` on the control socket, records the exit
/// in the state database, and on SIGTERM (the host's stop) stops the workload with a 10 s grace.
/// It is the only writer of its sandbox's row while it lives.
/// </summary>
public sealed class SupervisorService(SupervisedRun run, Launcher launcher, IHostApplicationLifetime lifetime, IOptions<SandboxOptions> options)
    : IHostedService, IDisposable
{
    private static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _serving = new();
    private readonly CancellationTokenSource _stopping = new(); // no more restarts; cancels a backoff
    private readonly TaskCompletionSource<ISandbox> _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ISandbox? _current; // the attempt running now, if any
    private string? _backend; // the last attempt's, for the restart counter
    private volatile bool _deletedByStop; // a stop had to delete the sandbox: it ended as if SIGKILLed
    private Task _workload = Task.CompletedTask;
    private Task _control = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _control = SupervisorControl.ServeAsync(run.Paths.Control, HandleAsync, _serving.Token, ServeExecAsync);
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

    public void Dispose()
    {
        _serving.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        int exitCode;
        using (var log = new JsonFileLog(run.Paths.Log, run.LogMaxBytes))
        {
            int restarts = 0;
            int step = 0;
            while (true)
            {
                var began = DateTime.UtcNow;
                exitCode = await AttemptAsync(log, restarts).ConfigureAwait(false);
                if (!_created.Task.IsCompletedSuccessfully || _stopping.IsCancellationRequested || !run.Restart.ShouldRestart(exitCode, restarts))
                {
                    break;
                }

                step = DateTime.UtcNow - began >= RestartPolicy.ResetAfter ? 0 : step;
                restarts++;
                LifecycleDiagnostics.Restarts.Add(1, LifecycleDiagnostics.Backend(_backend ?? "unknown"));
                Record(r => r with { Status = SandboxStatus.Restarting, ExitCode = exitCode, RestartCount = restarts });
                try
                {
                    await Task.Delay(RestartPolicy.Backoff(step++), _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break; // stopped while waiting to restart
                }
            }
        }

        bool ran = _created.Task.IsCompletedSuccessfully;
        _created.TrySetCanceled();
        if (run.RemoveWhenDone && ran) // one that never ran is left for `run -d` to report
        {
            SandboxDirectory.Remove(run.Paths); // the files first: a kill -9 in between leaves a row, never files without one
            using var store = SandboxStore.Open(run.Root);
            store.Remove(run.Request.Id!);
        }
        else
        {
            Record(r => r with { Status = SandboxStatus.Exited, ExitCode = exitCode, Finished = DateTime.UtcNow, SupervisorPid = null });
        }

        lifetime.StopApplication();
    }

    /// <summary>One create/start/wait/delete through the launcher: decided, audited and given a fresh writable layer each time.</summary>
    private async Task<int> AttemptAsync(JsonFileLog log, int restarts)
    {
        // The launcher's notices are records of their own, so the log's stderr holds only what the workload wrote.
        var io = new WorkloadIo(null, log.Stream("stdout"), log.Stream("stderr"), ForwardSignals: false) { Notices = log.Stream(JsonFileLog.NoticeStream) };
        // The span covers deciding, creating and starting (not the workload's whole life); the gauge its running.
        Activity? span = LifecycleDiagnostics.StartAction(restarts == 0 ? "start" : "restart", run.Request.Id);
        string? running = null;
        try
        {
            return await launcher.RunAsync(run.Request, io, (sandbox, state) =>
            {
                if (state == SandboxState.Created)
                {
                    _current = sandbox; // before the row says running: a verb acting on that row finds it
                    Record(r => r with { Status = SandboxStatus.Running, Started = DateTime.UtcNow, Backend = sandbox.Applied.Backend, RestartCount = restarts });
                    _created.TrySetResult(sandbox);
                    running = _backend = sandbox.Applied.Backend;
                    LifecycleDiagnostics.Running.Add(1, LifecycleDiagnostics.Backend(running));
                    span?.SetTag("sandbox.backend", running);
                    span?.Dispose();
                }
                else
                {
                    _current = null;
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SandboxException) when (_deletedByStop)
        {
            return 128 + 9; // the backend's complaint about a VMM or runtime deleted under it is the stop's doing: docker's 137
        }
        catch (SandboxException e)
        {
            LifecycleDiagnostics.Failed(span, e);
            // Why it did not run goes to the supervisor's log; `run -d` shows it and exits 125.
            await Console.Error.WriteLineAsync(e.Hint is null ? $"sandbox: {e.Message}" : $"sandbox: {e.Message}\nhint: {e.Hint}").ConfigureAwait(false);
            return ExitCodes.SandboxFailed;
        }
        finally
        {
            _current = null;
            span?.Dispose(); // idempotent: already stopped once the sandbox ran
            if (running is not null)
            {
                LifecycleDiagnostics.Running.Add(-1, LifecycleDiagnostics.Backend(running));
            }
        }
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
                for (int i = 0; i < 100 && _current is { State: SandboxState.Created }; i++)
                {
                    await Task.Delay(50).ConfigureAwait(false); // created, being started: the signal is for the workload
                }

                // Started, but the OCI runtime has not made the container yet, or a microVM's guest still
                // boots: the kill fails until then. Retried while it runs, at most as long as a boot may take.
                for (var until = DateTime.UtcNow + options.Value.BootTimeout; DateTime.UtcNow < until && _current is { State: SandboxState.Running } running;)
                {
                    if (await running.SignalAsync(value).ConfigureAwait(false))
                    {
                        return "ok";
                    }

                    await Task.Delay(50).ConfigureAwait(false);
                }

                return "error: not running";
            case "stop":
                await StopWorkloadAsync(TimeSpan.FromSeconds(value)).ConfigureAwait(false);
                await _workload.ConfigureAwait(false);
                return "ok";
            default:
                return "error: unknown request";
        }
    }

    /// <summary>
    /// `exec LENGTH STDIN` (from `sandbox exec` or `cp` on a microVM): the request and its input follow the
    /// line; the running attempt runs it (through guest init) and the whole reply is written back.
    /// </summary>
    private async Task<bool> ServeExecAsync(string line, Backends.MicroVm.Streams.BoundedLineReader reader, Stream connection)
    {
        if (line.Split(' ') is not ["exec", var jsonText, var stdinText])
        {
            return false;
        }

        byte[] reply;
        try
        {
            if (!int.TryParse(jsonText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int jsonLength) || jsonLength > Exec.ExecWire.MaxJson
                || !int.TryParse(stdinText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int stdinLength) || stdinLength > Exec.ExecWire.MaxStdin)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, "exec: the request's lengths are out of range");
            }

            using MemoryStream json = new(), stdin = new();
            if (!await reader.CopyExactlyAsync(jsonLength, json).ConfigureAwait(false) || !await reader.CopyExactlyAsync(stdinLength, stdin).ConfigureAwait(false))
            {
                return true; // the caller went away
            }

            var request = Exec.ExecWire.Parse(json.ToArray()).ToRequest();
            if (_current is not { State: SandboxState.Running or SandboxState.Created } current) // created: starting right after
            {
                throw DetachedSandboxes.NotRunning(run.Request.Id!);
            }

            if (current is not ISandboxExec exec)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"sandbox {run.Request.Id}: its backend is exec'd through its OCI runtime, not its supervisor");
            }

            var signals = Channel.CreateUnbounded<int>();
            using var answered = new CancellationTokenSource();
            Task watching = WatchExecCallerAsync(reader, signals.Writer, answered.Token);
            ExecOutput output;
            try
            {
                output = await exec.ExecAsync(request, stdin.ToArray(), signals.Reader, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await answered.CancelAsync().ConfigureAwait(false);
                await watching.ConfigureAwait(false);
            }

            reply = [.. System.Text.Encoding.ASCII.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"exit {output.ExitCode} {output.Stdout.Length} {output.Stderr.Length}\n")), .. output.Stdout, .. output.Stderr];
        }
        catch (Exception e) when (e is SandboxException or System.Text.Json.JsonException)
        {
            var (kind, hint) = e is SandboxException s ? (s.Kind, s.Hint) : (ErrorKind.InvalidArgument, null);
            reply = System.Text.Encoding.UTF8.GetBytes($"error {kind} {e.Message.ReplaceLineEndings(" ")}\n{(hint is null ? "" : $"hint {hint.ReplaceLineEndings(" ")}\n")}");
        }

        await connection.WriteAsync(reply).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// While an exec runs, its caller may send "signal N" lines (its own SIGINT, SIGTERM, ...), which
    /// reach the exec'd process. A caller that goes away before the answer (killed, or its terminal
    /// closed) leaves nobody to read it: the process gets SIGKILL instead of running on unseen (a
    /// container's exec'd process does outlive a killed `sandbox exec`: docs/parity.md).
    /// </summary>
    private static async Task WatchExecCallerAsync(Backends.MicroVm.Streams.BoundedLineReader reader, ChannelWriter<int> signals, CancellationToken answered)
    {
        try
        {
            while (await reader.ReadLineAsync(answered).ConfigureAwait(false) is { } line)
            {
                if (SupervisorControl.TryParse(line.Trim(), out string verb, out int signal) && verb == "signal" && signal is >= 1 and <= 64)
                {
                    signals.TryWrite(signal);
                }
            }

            signals.TryWrite(9); // EOF: the caller is gone
        }
        catch (OperationCanceledException)
        {
            // answered: the caller reads the reply
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or Backends.MicroVm.Streams.LineTooLongException)
        {
            signals.TryWrite(9);
        }
        finally
        {
            signals.TryComplete();
        }
    }

    /// <summary>docker stop: no more restarts; SIGTERM, then SIGKILL once <paramref name="grace"/> has passed, then delete (<see cref="GracefulStop"/>).</summary>
    private async Task StopWorkloadAsync(TimeSpan grace)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_workload.IsCompleted)
        {
            return;
        }

        try
        {
            await _created.Task.ConfigureAwait(false); // a first attempt being created is let start, then stopped
        }
        catch (TaskCanceledException)
        {
            return; // it never started
        }

        if (_current is not { } sandbox)
        {
            return; // between attempts: the cancelled backoff ends the loop
        }

        if (await GracefulStop.RunAsync(sandbox, _workload, grace, deleting: () => _deletedByStop = true).ConfigureAwait(false) == "delete")
        {
            // Why the stop took the grace and then some: in the supervisor's own log.
            await Console.Error.WriteLineAsync($"sandbox: {run.Request.Id}: SIGKILL did not end the workload within {GracefulStop.KillGrace.TotalSeconds:0}s; the sandbox was deleted")
                .ConfigureAwait(false);
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
