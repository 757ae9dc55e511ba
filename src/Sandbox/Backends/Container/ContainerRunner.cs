using System.Diagnostics;
using System.Runtime.InteropServices;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>How a container run ended.</summary>
public sealed record ContainerOutcome(int ExitCode, bool TimedOut, string? EngineError);

/// <summary>
/// Supervises one foreground `runtime run`: pipes stdio live (the workload never gets the host's
/// terminal), forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT, enforces --timeout, and escalates to SIGKILL
/// when a workload ignores a forwarded signal (PID 1 in a PID namespace ignores default-action
/// signals).
/// </summary>
public static class ContainerRunner
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);
    private const int SigKill = 9;

    /// <summary>Where in the bundle the runtime writes the container's init PID once it started it.</summary>
    public const string PidFileName = "init.pid";

    /// <param name="startDeadline">How long the runtime may take to create the container (<see cref="SandboxOptions.StartTimeout"/>).</param>
    public static async Task<ContainerOutcome> RunAsync(
        OciRuntime runtime, string bundleDir, string id, WorkloadIo io, TimeSpan? timeout, TimeSpan startDeadline, CancellationToken ct)
    {
        string logPath = Path.Combine(bundleDir, "runtime.log");
        string pidFile = Path.Combine(bundleDir, PidFileName);
        // With -t the runtime gets the launcher's terminal: it makes the sandbox's own pty, puts the
        // terminal in raw mode, copies both ways and follows resizes, as `runc run` does at a terminal.
        bool tty = io.Terminal is not null;
        var psi = new ProcessStartInfo(runtime.BinaryPath)
        {
            RedirectStandardInput = !tty,
            RedirectStandardOutput = !tty,
            RedirectStandardError = !tty,
            UseShellExecute = false,
        };
        foreach (string a in runtime.RunArgs(bundleDir, logPath, id, pidFile))
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)
            ?? throw new SandboxException(ErrorKind.EngineFailed, $"could not start {runtime.BinaryPath}");
        Task stdout = tty ? Task.CompletedTask : Pump(process.StandardOutput.BaseStream, io.Stdout, closeSink: false);
        Task stderr = tty ? Task.CompletedTask : Pump(process.StandardError.BaseStream, io.Stderr, closeSink: false);
        if (!tty)
        {
            _ = Pump(io.Stdin, process.StandardInput.BaseStream, closeSink: true); // EOF reaches the workload
        }

        bool timedOut = false;
        var startWatch = WatchStartAsync(process, pidFile, runtime.Name, startDeadline);
        var forwarded = new List<PosixSignalRegistration>();
        using var exited = new CancellationTokenSource(); // cancels pending SIGKILL escalations
        try
        {
            if (io.ForwardSignals)
            {
                foreach (var (signal, _) in Host.ForwardedSignals.All)
                {
                    forwarded.Add(PosixSignalRegistration.Create(signal, ctx =>
                    {
                        ctx.Cancel = true; // the launcher stays up to tear down
                        Forward(process.Id, ctx.Signal, runtime, id, exited.Token);
                    }));
                }
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (timeout is { } t)
            {
                deadline.CancelAfter(t);
            }

            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !ct.IsCancellationRequested;
                await runtime.KillAsync(id, SigKill).ConfigureAwait(false);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            forwarded.ForEach(r => r.Dispose());
            exited.Cancel();
        }

        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        string? engineError = await startWatch.ConfigureAwait(false)
            ?? (process.ExitCode != 0 ? RuntimeLog.FirstError(logPath) : null);
        return new ContainerOutcome(timedOut ? ExitCodes.FromSignal(SigKill) : process.ExitCode, timedOut, engineError);
    }

    /// <summary>
    /// A runtime that has not created the container by the deadline is stuck (e.g. `runc init` waiting
    /// on a state directory that was deleted under it): without this the launcher would wait forever.
    /// Kills the runtime and its children; null when the container started or the runtime ended first.
    /// </summary>
    private static async Task<string?> WatchStartAsync(Process process, string pidFile, string runtime, TimeSpan startDeadline)
    {
        var wait = process.WaitForExitAsync();
        if (await Task.WhenAny(wait, Task.Delay(startDeadline)).ConfigureAwait(false) == wait || File.Exists(pidFile))
        {
            return null;
        }

        process.Kill(entireProcessTree: true);
        await wait.ConfigureAwait(false);
        return $"{runtime} did not create the container within {startDeadline.TotalSeconds:0}s and was killed";
    }

    private static void Forward(int runtimePid, PosixSignal signal, OciRuntime runtime, string id, CancellationToken exited)
    {
        int signo = Host.ForwardedSignals.Number(signal);

        // The runtime in foreground mode relays signals it receives to the workload's init.
        _ = Tmds.Linux.LibC.kill(runtimePid, signo);
        _ = Task.Delay(KillGrace, exited).ContinueWith(
            t => t.IsCanceled ? Task.CompletedTask : runtime.KillAsync(id, SigKill),
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>
    /// Copies a stream on a dedicated thread with blocking reads, flushing each chunk so output is live.
    /// Blocking threads instead of async I/O keep the thread pool (and its spinning) out of the hot path:
    /// on a small host that spinning competes with the OCI runtime for CPU.
    /// </summary>
    private static Task Pump(Stream? from, Stream to, bool closeSink)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var buffer = new byte[64 * 1024];
                int n;
                while (from is not null && (n = from.Read(buffer)) > 0)
                {
                    to.Write(buffer, 0, n);
                    to.Flush();
                }
            }
            catch (IOException)
            {
                // the other end went away (the workload exited, or our stdout closed): nothing more to copy
            }
            finally
            {
                if (closeSink)
                {
                    to.Dispose();
                }

                done.SetResult();
            }
        })
        { IsBackground = true, Name = "sandbox-pump" };
        thread.Start();
        return done.Task;
    }
}
