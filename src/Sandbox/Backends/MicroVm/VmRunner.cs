using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Streams;
using Sandbox.Runtime;
using Sandbox.Telemetry;

namespace Sandbox.Backends.MicroVm;

/// <summary>How a microVM run ended, before it is mapped to an exit code.</summary>
/// <param name="VmmStderr">The last <see cref="VmRunner.VmmOutputTail"/> bytes QEMU (and its runtime) wrote to stdout and stderr.</param>
/// <param name="OutputIncomplete">The guest's stdout/stderr may lack data: the host never received all the bytes the guest said it sent.</param>
/// <param name="ProtocolError">Why the VM was killed for breaking the guest protocol (e.g. an oversized control line); null if it did not.</param>
public sealed record VmOutcome(
    int? ExitCode, bool TimedOut, int? Signal, bool BootTimedOut, int VmmExitCode, string VmmStderr, string? RuntimeError, bool OutputIncomplete = false,
    string? ProtocolError = null)
{
    /// <summary>What guest init said it applied (config digest and runtime version); null if it never said.</summary>
    public ControlMessage.Applied? Applied { get; init; }

    /// <summary>The guest applied a config other than the one the host sent: the run was stopped.</summary>
    public bool ConfigMismatch { get; init; }

    /// <summary>The boot budget this run had (<see cref="BootTimedOut"/> says it was spent).</summary>
    public TimeSpan BootBudget { get; init; }

    /// <summary>The guest's OCI runtime failed to start the workload (its first logged error).</summary>
    public string? GuestEngineError { get; init; }

    /// <summary>The workload's memory cgroup in the guest killed a process.</summary>
    public bool OutOfMemory { get; init; }

    /// <summary>sandbox analyze: the guest's collector report arrived whole (written to the report path).</summary>
    public bool ReportReceived { get; init; }

    /// <summary>How the guest came up (booted, restored from a template, a template saved or why not), for the audit record.</summary>
    public string? Boot { get; init; }

    /// <summary>A restore whose state QEMU never took (the run was stopped); null otherwise.</summary>
    public string? TemplateError { get; init; }
}

/// <summary>
/// Supervises one jailed QEMU: accepts its connections on the launcher's sockets, sends the spec,
/// streams stdout/stderr/stdin, reads the exit status on the control port, and kills the VM on
/// --timeout (counted from the guest's "started", so booting never eats the workload's time), on
/// SIGINT/SIGTERM/SIGHUP/SIGQUIT, when the guest does not start the workload within the boot budget,
/// or when the guest says it applied a config other than the one sent.
/// The guest powers off only when told to, after the host has received every byte of output the
/// guest reported with its exit status; a slow sink (e.g. a pipe read slowly) only slows the run.
/// </summary>
public sealed partial class VmRunner
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private const int SigKill = 9;

    /// <summary>How long a forwarded signal may go unanswered before SIGKILL (the container backend's grace).</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan GuestUnresponsive = TimeSpan.FromSeconds(10);

    /// <summary>How long a stream may deliver nothing while the host still expects bytes on it.</summary>
    public static readonly TimeSpan OutputStall = TimeSpan.FromSeconds(30);

    // Once QEMU has exited every socket is at EOF after its buffered data; this only guards against a peer that never closes.
    private static readonly TimeSpan DrainStall = TimeSpan.FromSeconds(10);

    /// <summary>The largest analysis report the host accepts: the guest's 64 MiB upper layer, its trace buffers and the tar's overhead.</summary>
    public const long MaxReport = 192L << 20;

    /// <summary>sandbox analyze: how long the guest may take, after its workload was killed at the timeout, to send its report.</summary>
    public static readonly TimeSpan CollectGrace = TimeSpan.FromSeconds(90);

    /// <summary>How much of QEMU's own stdout and stderr is kept for error reports: the rest is read and dropped.</summary>
    public const int VmmOutputTail = 4096;

    /// <param name="Console">The guest console (ttyS0), read into a bounded <see cref="ConsoleLog"/>.</param>
    public sealed record Sockets(Socket Control, Socket Stdout, Socket Stderr, Socket? Stdin, Socket Console);

    public static async Task<VmOutcome> RunAsync(
        OciRuntime runtime, string bundle, string id, Sockets listeners, byte[] spec, string configSha256, WorkloadIo io, TimeSpan? timeout,
        TimeSpan bootTimeout, PhaseTrace trace, ConsoleLog console, CancellationToken ct, GuestControl? guest = null, string? reportPath = null,
        Templates.TemplateRun? template = null)
    {
        string logPath = Path.Combine(bundle, "runtime.log");
        // The runtime gets a session of its own (util-linux setsid; -w in case it has to fork): a
        // Ctrl-C at the launcher's terminal then signals only the launcher, which forwards it to the
        // workload like any signal, and never the runtime, which would pass it on to QEMU and end the VM.
        string setsid = Host.ExecutableLocator.Find("setsid") ?? throw new SandboxException(ErrorKind.HostUnsupported,
            "the microVM's runtime is started in a session of its own with setsid, which is missing", "apt-get install util-linux (or run make deps)");
        var psi = new ProcessStartInfo(setsid)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-w", runtime.BinaryPath, .. runtime.RunArgs(bundle, logPath, id)])
        {
            psi.ArgumentList.Add(a);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var templateStop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token); // also ends a capture once the VMM is gone
        int? signal = null;
        string? protocolError = null;
        bool timedOut = false, bootTimedOut = false, analysisTimedOut = false;
        Socket? workloadControl = null; // set once the guest started the workload: signals go to it from then on
        // Handled before the runtime starts: a signal that found no handler would end the launcher
        // at once (exit 128+N) and leave the VMM running under an orphaned runtime.
        var registrations = new List<PosixSignalRegistration>();
        if (io.ForwardSignals)
        {
            foreach (var (s, n) in Host.ForwardedSignals.All)
            {
                registrations.Add(PosixSignalRegistration.Create(s, ctx =>
                {
                    ctx.Cancel = true; // stay up to tear the VM down
                    if (Volatile.Read(ref workloadControl) is { } running)
                    {
                        _ = ForwardSignalAsync(running, n, () => signal ??= n, stop); // as the container backend does
                        return;
                    }

                    signal ??= n; // still booting: there is no workload to tell
                    stop.Cancel();
                }));
            }
        }

        // -t: the launcher's terminal was resized; the workload's pty in the guest follows (init sets it).
        Host.TerminalSize? lastSize = io.Terminal;
        void Resize()
        {
            if (Volatile.Read(ref workloadControl) is { } running && Host.HostTerminal.Size() is var size && size != lastSize)
            {
                lastSize = size;
                _ = SendQuietlyAsync(running, ControlMessage.Resize(size), stop.Token);
            }
        }

        if (io.ForwardSignals && io.Terminal is not null)
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => Resize()));
        }

        trace.Mark("jail rendered");
        Process vmm;
        try
        {
            vmm = Process.Start(psi) ?? throw new SandboxException(ErrorKind.EngineFailed, $"could not start {runtime.BinaryPath}");
        }
        catch
        {
            registrations.ForEach(r => r.Dispose());
            throw;
        }

        using var vmmProcess = vmm;
        vmm.StandardInput.Close();
        var vmmOutput = new TailBuffer(VmmOutputTail);
        Task drainOut = DrainAsync(vmm.StandardOutput.BaseStream, vmmOutput);
        Task drainErr = DrainAsync(vmm.StandardError.BaseStream, vmmOutput);

        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var report = new GuestReport();
        int? exitCode = null;
        bool outputIncomplete = false;
        StreamPump? stdoutPump = null, stderrPump = null;
        Task? control = null, acknowledged = null, consoleCapture = null, specSent = null;
        string? boot = template is null ? null : template.Boot;
        string? templateError = null;
        Socket? stdinConnection = null;
        try
        {
            var capture = template as Templates.TemplateRun.Capture;
            Socket[]? conns = await AcceptAllAsync(listeners, vmm, stop.Token, capture?.Qmp).ConfigureAwait(false);
            if (conns is not null)
            {
                trace.Mark("VMM started (QEMU connected its ports)");
                consoleCapture = console.CaptureAsync(new NetworkStream(conns[listeners.Stdin is null ? 3 : 4], ownsSocket: true));
                Task<string?> saved = capture is null ? Task.FromResult<string?>(null)
                    : Templates.TemplateRun.CaptureAsync(capture, conns[^1], waiting.Task, trace, templateStop.Token);
                if (template is Templates.TemplateRun.Restore restore)
                {
                    _ = HandOverAsync(restore);
                }

                // A restore QEMU is up but never took the state: the run ends now, not at the boot budget.
                // A QEMU that died meanwhile (its runtime exits just after it) is reported as the VMM's exit.
                async Task HandOverAsync(Templates.TemplateRun.Restore restore)
                {
                    try
                    {
                        await Templates.TemplateRun.RestoreAsync(restore, ConnectTimeout, templateStop.Token).ConfigureAwait(false);
                        trace.Mark("template state handed to QEMU");
                    }
                    catch (Exception e) when (e is SocketException or IOException)
                    {
                        await Task.WhenAny(vmm.WaitForExitAsync(CancellationToken.None), Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
                        if (!vmm.HasExited)
                        {
                            templateError = $"QEMU did not take the state of VM template {restore.Template.Digest}: {e.Message}";
                            await stop.CancelAsync().ConfigureAwait(false);
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        // the run is over
                    }
                }

                Socket specTo = conns[0];
                CancellationToken specToken = stop.Token;
                specSent = SendSpecAsync();

                // The spec (after a fresh identity) goes out once a capture is done: the template never holds it.
                async Task SendSpecAsync()
                {
                    if (await saved.ConfigureAwait(false) is { } failed)
                    {
                        boot = $"booted; saving template {capture!.Key.Digest} failed: {failed}";
                    }

                    try
                    {
                        await specTo.SendAsync((byte[])[.. GuestIdentity.Fresh(), .. spec], SocketFlags.None, specToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        // QEMU died while the spec was on its way (EPIPE): the VMM's exit is reported below
                    }
                }

                var stdoutP = stdoutPump = new StreamPump(conns[1], io.Stdout);
                var stderrP = stderrPump = new StreamPump(conns[2], io.Stderr);
                Socket controlSocket = conns[0];
                CancellationToken stopToken = stop.Token;
                control = ReadControlAsync(controlSocket, waiting, ready, started, report, configSha256, reportPath, stop, guest, e =>
                {
                    if (exitCode is not null)
                    {
                        return;
                    }

                    exitCode = e.Code;
                    trace.Mark("workload exited");
                    acknowledged = AcknowledgeAsync(controlSocket, e, stdoutP, stderrP, () => outputIncomplete = true, stopToken);
                }, violation =>
                {
                    protocolError ??= violation;
                    stop.Cancel(); // a guest that breaks the protocol is not waited for
                });
                _ = ready.Task.ContinueWith(_ => trace.Mark("guest ready (kernel booted, init built the root)"), TaskScheduler.Default);
                _ = started.Task.ContinueWith(_ =>
                {
                    Volatile.Write(ref workloadControl, controlSocket);
                    guest?.Attach(controlSocket);
                    trace.Mark("workload handed to crun in the guest");
                    if (io.Terminal is not null)
                    {
                        Resize(); // a resize while the guest booted: the pty was made with the size at launch
                    }

                    try
                    {
                        if (timeout is { } t && reportPath is not null)
                        {
                            // analyze: a timeout is an outcome, not a failure; the workload is killed in
                            // the guest, whose collector then reports as after any exit
                            _ = KillForAnalysisAsync(controlSocket, t, () => analysisTimedOut = true, stop);
                        }
                        else if (timeout is { } t2)
                        {
                            stop.CancelAfter(t2); // the workload's own time starts now
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        // the run is already over
                    }
                }, TaskScheduler.Default);
                if (listeners.Stdin is not null)
                {
                    stdinConnection = conns[3];
                    _ = FeedStdinAsync(io.Stdin, stdinConnection);
                }

                Task booted = await Task.WhenAny(started.Task, vmm.WaitForExitAsync(stop.Token), Task.Delay(bootTimeout, stop.Token)).ConfigureAwait(false);
                bootTimedOut = !started.Task.IsCompleted && !vmm.HasExited && !stop.IsCancellationRequested;
                if (!bootTimedOut)
                {
                    await vmm.WaitForExitAsync(stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            timedOut = signal is null && protocolError is null && templateError is null && !ct.IsCancellationRequested && !report.ConfigMismatch;
        }
        finally
        {
            if (!vmm.HasExited)
            {
                await StopVmmAsync(runtime, id, vmm).ConfigureAwait(false);
            }

            registrations.ForEach(r => r.Dispose());
        }

        trace.Mark("VMM exited");
        await templateStop.CancelAsync().ConfigureAwait(false);
        // QEMU is gone, so every socket reaches EOF once its buffered data is read. Writing that data
        // to a slow sink takes as long as it takes; only a socket that delivers nothing is given up on.
        if (stdoutPump is not null && stderrPump is not null)
        {
            await Task.WhenAll(stdoutPump.DrainAsync(DrainStall), stderrPump.DrainAsync(DrainStall)).ConfigureAwait(false);
        }

        if (control is not null)
        {
            await Task.WhenAny(control, Task.Delay(DrainStall, CancellationToken.None)).ConfigureAwait(false);
        }

        if (specSent is not null)
        {
            await specSent.ConfigureAwait(false);
        }

        if (acknowledged is not null)
        {
            await acknowledged.ConfigureAwait(false);
        }

        if (consoleCapture is not null)
        {
            await Task.WhenAny(consoleCapture, Task.Delay(DrainStall, CancellationToken.None)).ConfigureAwait(false);
        }

        await Task.WhenAll(drainOut, drainErr).ConfigureAwait(false);
        stdinConnection?.Dispose();
        string? runtimeError = vmm.ExitCode != 0 ? RuntimeLog.FirstError(logPath) : null;
        return new VmOutcome(exitCode, timedOut || (analysisTimedOut && signal is null), signal, bootTimedOut, vmm.ExitCode, Host.Printable.Escape(Encoding.UTF8.GetString(vmmOutput.ToArray()), keepNewlines: true), runtimeError,
            outputIncomplete && signal is null && !timedOut && protocolError is null, protocolError)
        {
            Applied = report.Applied,
            ConfigMismatch = report.ConfigMismatch,
            GuestEngineError = report.EngineError,
            OutOfMemory = report.OutOfMemory,
            ReportReceived = report.ReportReceived,
            Boot = boot,
            BootBudget = bootTimeout,
            TemplateError = templateError,
        };
    }

    // QEMU connects to each socket while it starts; if it dies first, there is nothing to accept.
    // A template capture's monitor connects last.
    private static async Task<Socket[]?> AcceptAllAsync(Sockets l, Process vmm, CancellationToken ct, Socket? qmp = null)
    {
        Socket[] listeners = l.Stdin is null ? [l.Control, l.Stdout, l.Stderr, l.Console] : [l.Control, l.Stdout, l.Stderr, l.Stdin, l.Console];
        listeners = qmp is null ? listeners : [.. listeners, qmp];
        var accept = Task.WhenAll(listeners.Select(s => s.AcceptAsync(ct).AsTask()));
        var first = await Task.WhenAny(accept, vmm.WaitForExitAsync(ct), Task.Delay(ConnectTimeout, ct)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return first == accept ? await accept.ConfigureAwait(false) : null;
    }
}
