using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;

namespace Sandbox.Backends.MicroVm;

/// <summary>What the host sends the guest while a run lasts: signals, the analysis timeout's kill, and the VMM's stop.</summary>
public sealed partial class VmRunner
{
    private static async Task SendQuietlyAsync(Socket control, string line, CancellationToken ct)
    {
        try
        {
            await control.SendAsync(Encoding.ASCII.GetBytes(line), SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // the run ended first
        }
    }

    /// <summary>analyze's timeout: SIGKILL to the workload through init, then <see cref="CollectGrace"/> for the report before the VM is stopped.</summary>
    private static async Task KillForAnalysisAsync(Socket control, TimeSpan timeout, Action timedOut, CancellationTokenSource stop)
    {
        try
        {
            await Task.Delay(timeout, stop.Token).ConfigureAwait(false);
            timedOut();
            await control.SendAsync(Encoding.ASCII.GetBytes(ControlMessage.Signal(SigKill)), SocketFlags.None, stop.Token).ConfigureAwait(false);
            stop.CancelAfter(CollectGrace);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // the run ended first
        }
    }

    /// <summary>
    /// Forwards a signal the launcher got to the workload in the guest (init runs `crun kill`), then
    /// SIGKILL after <see cref="KillGrace"/>, as the container backend does; the exit status then
    /// comes from the guest as usual. A guest that still has not reported
    /// <see cref="GuestUnresponsive"/> later is stopped from the host.
    /// </summary>
    private static async Task ForwardSignalAsync(Socket control, int signal, Action stoppedBySignal, CancellationTokenSource stop)
    {
        try
        {
            await control.SendAsync(Encoding.ASCII.GetBytes(ControlMessage.Signal(signal)), SocketFlags.None, stop.Token).ConfigureAwait(false);
            await Task.Delay(KillGrace, stop.Token).ConfigureAwait(false);
            await control.SendAsync(Encoding.ASCII.GetBytes(ControlMessage.Signal(SigKill)), SocketFlags.None, stop.Token).ConfigureAwait(false);
            await Task.Delay(GuestUnresponsive, stop.Token).ConfigureAwait(false);
            stoppedBySignal();
            await stop.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // the run ended first
        }
    }

    /// <summary>
    /// Kills the jailed VMM and waits for the runtime to exit (it reaps QEMU first). `kill` fails
    /// until the runtime has created the container, so a stop that comes while it is still
    /// starting is retried; a runtime that never gets that far is killed itself.
    /// </summary>
    private static async Task StopVmmAsync(OciRuntime runtime, string id, Process vmm)
    {
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(100);
        while (!vmm.HasExited)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                vmm.Kill(); // the runtime is stuck; its container, if any, goes with `delete --force`
                break;
            }

            await runtime.KillAsync(id, SigKill).ConfigureAwait(false);
            using var wait = new CancellationTokenSource(pause);
            try
            {
                await vmm.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }

        await vmm.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
