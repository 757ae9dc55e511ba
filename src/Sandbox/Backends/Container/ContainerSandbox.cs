using System.Text;
using Sandbox.Audit;
using Sandbox.Host.Mounts;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>
/// One created container: its bundle rendered under a leased ID range. Start runs it in the
/// runtime's foreground mode (`run`: the runtime holds the workload's stdio, relays signals and
/// makes the -t pty exactly as it does at a terminal); delete removes the runtime's state, the
/// mounts and the run directory, then frees the lease.
/// </summary>
internal sealed class ContainerSandbox(
    WorkloadSpec spec, OciRuntime runtime, WorkloadIo io, TimeSpan startDeadline, IdLease lease, string runDir, FileStream claim, AppliedHardening applied)
    : ISandbox
{
    private Task<ContainerOutcome>? _run;
    private Host.Cgroups.OomKillLog? _oomLog;
    private readonly RunOnce _deletion = new();

    public string Id => spec.Id;

    public SandboxState State => _deletion.Started || _run is { IsCompleted: true } ? SandboxState.Stopped : _run is null ? SandboxState.Created : SandboxState.Running;

    public AppliedHardening Applied => applied;

    public Task StartAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_deletion.Started, this);
        if (_run is not null)
        {
            throw new InvalidOperationException($"sandbox {Id} was already started");
        }

        _oomLog = Host.Cgroups.OomKillLog.OpenAtEnd(); // before anything of the workload runs
        // Returns once the runtime process is started; the run goes on until WaitAsync.
        _run = ContainerRunner.RunAsync(runtime, runDir, Id, io, spec.Timeout, startDeadline, ct);
        return Task.CompletedTask;
    }

    public async Task<bool> SignalAsync(int signal)
    {
        // Until the runtime has written the pid file it is still setting the container up: a signal
        // then would kill its own init mid-setup ("container process is already dead", 125), not
        // reach the workload. A stop right after `run -d` waits for it (the start deadline bounds it).
        for (int i = 0; i < 200 && State == SandboxState.Running && !File.Exists(Path.Combine(runDir, ContainerRunner.PidFileName)); i++)
        {
            await Task.Delay(25).ConfigureAwait(false);
        }

        return State == SandboxState.Running && await runtime.KillAsync(Id, signal).ConfigureAwait(false);
    }

    public async Task<WorkloadExit> WaitAsync()
    {
        var outcome = await Outcome().ConfigureAwait(false);
        if (outcome.EngineError is { } error)
        {
            var (kind, message) = RuntimeLog.Classify(error);
            throw new SandboxException(kind, $"{runtime.Name} could not start the workload: {message}");
        }

        if (outcome.TimedOut)
        {
            await io.NoticeSink.WriteAsync(Encoding.UTF8.GetBytes(
                $"sandbox: {spec.TimeoutSource} {spec.Limits.Timeout.TotalSeconds:0.###}s reached; the workload was killed\n")).ConfigureAwait(false);
        }
        else if (_oomLog?.KilledIn(Id) == true) // the runtime named the container's cgroup after its ID
        {
            await io.NoticeSink.WriteAsync(Encoding.UTF8.GetBytes(
                $"sandbox: the workload reached its memory limit ({spec.Limits.MemoryBytes >> 20} MiB): the out-of-memory killer killed a process\n")).ConfigureAwait(false);
        }

        return new WorkloadExit(outcome.ExitCode, outcome.TimedOut);
    }

    /// <summary>The runtime trial's verdict: the workload ran and exited 0, with no engine error.</summary>
    internal async Task<bool> TrialPassedAsync() =>
        await Outcome().ConfigureAwait(false) is { ExitCode: 0, EngineError: null };

    private Task<ContainerOutcome> Outcome() =>
        _run ?? throw new InvalidOperationException($"sandbox {Id} was not started");

    /// <summary>Idempotent, and a second caller (a stop's fallback beside the launcher's own teardown) awaits the deletion in flight.</summary>
    public Task DeleteAsync() => _deletion.RunAsync(DeleteOnceAsync);

    private async Task DeleteOnceAsync()
    {
        try
        {
            await runtime.StopAndDeleteAsync(Id, _run).ConfigureAwait(false); // deleting a running sandbox stops it first
        }
        finally
        {
            SafeRemove.Directory(runDir); // detaches the rootfs, overlay and volume binds before deleting
            _oomLog?.Dispose();
            claim.Dispose(); // only now: a concurrent reaper never takes a run that is being torn down for an orphan
            lease.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await DeleteAsync().ConfigureAwait(false);
}
