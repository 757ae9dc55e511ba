using Sandbox.Audit;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Host;
using Sandbox.Host.Mounts;
using Sandbox.Runtime;
using Sandbox.Telemetry;

namespace Sandbox.Backends.MicroVm;

/// <summary>
/// One created microVM: its bundle, jail config and guest config rendered, its I/O sockets
/// listening. Start boots the jailed QEMU and sends the guest its spec; signals reach the workload
/// through guest init; delete stops the VMM, removes the runtime's state and the bundle, then frees
/// the lease.
/// </summary>
internal sealed class MicroVmSandbox(WorkloadSpec spec, OciRuntime runtime, WorkloadIo io, PhaseTrace trace, FetchedKernel kernel, IdLease lease) : ISandbox, ISandboxExec
{
    private readonly GuestControl _guest = new();
    private readonly ConsoleLog _console = new();
    private Task<VmOutcome>? _run;
    private IDisposable? _rawTerminal;
    private readonly RunOnce _deletion = new();

    internal IdLease Lease => lease;

    internal string? Bundle { get; set; }

    internal FileStream? Owner { get; set; }

    internal VmRunner.Sockets? Sockets { get; set; }

    internal byte[] Spec { get; set; } = [];

    /// <summary>From QEMU's start until guest init starts the workload (<see cref="Runtime.SandboxOptions.BootTimeout"/>).</summary>
    internal required TimeSpan BootTimeout { get; init; }

    internal string ConfigSha256 { get; set; } = "";

    /// <summary>The run's VM template step (restore, or capture while booting); null when it boots plainly.</summary>
    internal Templates.TemplateRun? Template { get; set; }

    public string Id => spec.Id;

    public SandboxState State => _deletion.Started || _run is { IsCompleted: true } ? SandboxState.Stopped : _run is null ? SandboxState.Created : SandboxState.Running;

    public AppliedHardening Applied { get; internal set; } = null!;

    public Task StartAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_deletion.Started, this);
        if (_run is not null || Bundle is null || Sockets is null)
        {
            throw new InvalidOperationException($"sandbox {Id} was already started, or not fully created");
        }

        _rawTerminal = spec.Terminal is null ? null : HostTerminal.Raw(); // keystrokes go to the guest's pty, Ctrl-C included
        _run = VmRunner.RunAsync(runtime, Bundle, Id, Sockets, Spec, ConfigSha256, io, spec.Timeout, BootTimeout, trace, _console, ct, _guest, spec.ReportPath, Template);
        return Task.CompletedTask;
    }

    public Task<bool> SignalAsync(int signal) => _guest.SignalAsync(signal);

    /// <summary>
    /// exec through guest init: the process.json is the workload's applied guest process (the bundle's
    /// guest-config.json, as sent) with the exec's command, so `crun exec` in the guest gives it the
    /// workload's user namespace, no capability, no_new_privs, seccomp, cgroup and read-only root.
    /// </summary>
    public async Task<ExecOutput> ExecAsync(ExecRequest request, byte[] stdin, System.Threading.Channels.ChannelReader<int>? signals, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Created: `run -d` has returned and the start follows; the guest control waits for the workload.
        if (State is not (SandboxState.Running or SandboxState.Created) || Bundle is null)
        {
            throw new SandboxException(ErrorKind.StateConflict, $"sandbox {Id} is not running", "sandbox ps -a shows its state");
        }

        if (request.Tty || !request.Command.All(ByteString.IsText) || !request.Env.All(ByteString.IsText))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, "exec in a microVM takes no -t, and only UTF-8 arguments and -e entries",
                "drop -t; run the program through a script inside the sandbox for other bytes");
        }

        var applied = ExecProcessBuilder.AppliedProcess(await File.ReadAllBytesAsync(Path.Combine(Bundle, "guest-config.json"), ct).ConfigureAwait(false));
        byte[] process = ExecProcessBuilder.ToAsciiLine(ExecProcessBuilder.Build(applied, request with { Tty = false }));
        var output = await _guest.ExecAsync(process, stdin, signals, ct).ConfigureAwait(false);
        if (output.EngineError is { } engine)
        {
            // crun in the guest could not start the command, and its log (never the command's stderr) says why:
            // a missing or unrunnable command is docker's 127/126, anything else (a missing -w directory) 125.
            var (kind, message) = RuntimeLog.Classify(RuntimeLog.Error(engine) ?? engine);
            throw new SandboxException(kind, $"crun (in the guest) could not exec in sandbox {Id}: {Printable.Escape(message.Trim())}",
                kind == ErrorKind.EngineFailed ? "sandbox inspect shows its state; -w must name a directory that exists in the sandbox" : "the command must exist in the sandbox's image and be executable");
        }

        return output;
    }

    public async Task<WorkloadExit> WaitAsync()
    {
        var run = _run ?? throw new InvalidOperationException($"sandbox {Id} was not started");
        VmOutcome outcome;
        try
        {
            outcome = await run.ConfigureAwait(false);
        }
        finally
        {
            RestoreTerminal();
        }

        if (Template is Templates.TemplateRun.Restore restored && outcome.Applied is null && outcome.Signal is null && !outcome.TimedOut
            && (outcome.TemplateError is not null || (outcome.VmmExitCode != 0 && !string.IsNullOrWhiteSpace(outcome.VmmStderr))))
        {
            // QEMU refused the state (it says why on stderr; a VMM killed from outside says nothing) and the
            // guest never spoke: never restore it again
            restored.Template.Discard();
        }

        if (outcome.Boot is { } boot)
        {
            Applied = Applied with { Boot = boot }; // a template capture's outcome is known only now
        }

        if (outcome.Applied is { } confirmed && !outcome.ConfigMismatch)
        {
            Applied = Applied with { GuestConfirmation = $"{confirmed.Runtime}; config.json sha256:{confirmed.ConfigSha256}" };
        }

        int exit = await MicroVmBackend.ExitCodeAsync(outcome, _console, spec, kernel, io.NoticeSink).ConfigureAwait(false);
        return new WorkloadExit(exit, outcome.TimedOut && outcome.Signal is null) { ReportReceived = outcome.ReportReceived };
    }

    /// <summary>Idempotent, and a second caller (a stop's fallback beside the launcher's own teardown) awaits the deletion in flight.</summary>
    public Task DeleteAsync() => _deletion.RunAsync(DeleteOnceAsync);

    private async Task DeleteOnceAsync()
    {
        try
        {
            await runtime.StopAndDeleteAsync(Id, _run).ConfigureAwait(false); // deleting a running VM stops it first
            RestoreTerminal();
        }
        finally
        {
            if (Sockets is { } s)
            {
                foreach (var socket in new[] { s.Control, s.Stdout, s.Stderr, s.Stdin, s.Console })
                {
                    socket?.Dispose();
                }
            }

            if (Template is Templates.TemplateRun.Capture c)
            {
                c.Qmp.Dispose();
                c.Migration.Dispose();
            }
            else if (Template is Templates.TemplateRun.Restore r)
            {
                await r.State.DisposeAsync().ConfigureAwait(false);
            }

            if (Bundle is not null)
            {
                SafeRemove.Directory(Bundle); // detaches the disk and volume binds before deleting
            }

            _guest.Close(); // an exec still waiting for a start that never came gets its answer (the lifecycle always deletes)
            _guest.Dispose();
            Owner?.Dispose(); // only now: a concurrent reaper never takes a bundle being torn down for an orphan
            lease.Dispose();
            trace.Mark("torn down");
        }
    }

    public async ValueTask DisposeAsync() => await DeleteAsync().ConfigureAwait(false);

    private void RestoreTerminal()
    {
        _rawTerminal?.Dispose();
        _rawTerminal = null;
    }
}
