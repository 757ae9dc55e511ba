using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm;

/// <summary>How a microVM run ended, before it is mapped to an exit code.</summary>
public sealed record VmOutcome(int? ExitCode, bool TimedOut, int? Signal, bool BootTimedOut, int VmmExitCode, string VmmStderr, string? RuntimeError);

/// <summary>
/// Supervises one jailed QEMU: accepts its connections on the launcher's sockets, sends the spec,
/// streams stdout/stderr/stdin, reads the exit status on the control port, and kills the VM on
/// --timeout, on SIGINT/SIGTERM/SIGHUP/SIGQUIT, or when the guest does not come up.
/// </summary>
public sealed class VmRunner
{
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private const int SigKill = 9;

    public sealed record Sockets(Socket Control, Socket Stdout, Socket Stderr, Socket? Stdin);

    public static async Task<VmOutcome> RunAsync(
        OciRuntime runtime, string bundle, string id, Sockets listeners, byte[] spec, WorkloadIo io, TimeSpan? timeout, CancellationToken ct)
    {
        string logPath = Path.Combine(bundle, "runtime.log");
        var psi = new ProcessStartInfo(runtime.BinaryPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in runtime.RunArgs(bundle, logPath, id))
        {
            psi.ArgumentList.Add(a);
        }

        using var vmm = Process.Start(psi) ?? throw new SandboxException(ErrorKind.EngineFailed, $"could not start {runtime.BinaryPath}");
        vmm.StandardInput.Close();
        var vmmOutput = new StringBuilder();
        Task drainOut = DrainAsync(vmm.StandardOutput, vmmOutput);
        Task drainErr = DrainAsync(vmm.StandardError, vmmOutput);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int? signal = null;
        bool timedOut = false, bootTimedOut = false;
        var registrations = new List<PosixSignalRegistration>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int? exitCode = null;
        var pumps = new List<Task>();
        Socket? stdinConnection = null;
        try
        {
            if (io.ForwardSignals)
            {
                foreach (var (s, n) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
                {
                    registrations.Add(PosixSignalRegistration.Create(s, ctx =>
                    {
                        ctx.Cancel = true; // stay up to tear the VM down
                        signal ??= n;
                        stop.Cancel();
                    }));
                }
            }

            if (timeout is { } t)
            {
                stop.CancelAfter(t);
            }

            Socket[]? conns = await AcceptAllAsync(listeners, vmm, stop.Token).ConfigureAwait(false);
            if (conns is not null)
            {
                await conns[0].SendAsync(spec, SocketFlags.None, stop.Token).ConfigureAwait(false);
                pumps.Add(PumpAsync(conns[1], io.Stdout));
                pumps.Add(PumpAsync(conns[2], io.Stderr));
                Task control = ReadControlAsync(conns[0], ready, code => exitCode ??= code);
                pumps.Add(control);
                if (conns.Length > 3)
                {
                    stdinConnection = conns[3];
                    _ = FeedStdinAsync(io.Stdin, stdinConnection);
                }

                Task booted = await Task.WhenAny(ready.Task, vmm.WaitForExitAsync(stop.Token), Task.Delay(BootTimeout, stop.Token)).ConfigureAwait(false);
                bootTimedOut = !ready.Task.IsCompleted && !vmm.HasExited && !stop.IsCancellationRequested;
                if (!bootTimedOut)
                {
                    await vmm.WaitForExitAsync(stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            timedOut = signal is null && !ct.IsCancellationRequested;
        }
        finally
        {
            registrations.ForEach(r => r.Dispose());
            if (!vmm.HasExited)
            {
                await runtime.KillAsync(id, SigKill).ConfigureAwait(false);
                await vmm.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        // QEMU is gone, so every socket has reached EOF once its buffered data is read.
        await Task.WhenAny(Task.WhenAll(pumps), Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)).ConfigureAwait(false);
        await Task.WhenAll(drainOut, drainErr).ConfigureAwait(false);
        stdinConnection?.Dispose();
        string? runtimeError = vmm.ExitCode != 0 ? RuntimeLog.FirstError(logPath) : null;
        return new VmOutcome(exitCode, timedOut, signal, bootTimedOut, vmm.ExitCode, vmmOutput.ToString(), runtimeError);
    }

    // QEMU connects to each socket while it starts; if it dies first, there is nothing to accept.
    private static async Task<Socket[]?> AcceptAllAsync(Sockets l, Process vmm, CancellationToken ct)
    {
        Socket[] listeners = l.Stdin is null ? [l.Control, l.Stdout, l.Stderr] : [l.Control, l.Stdout, l.Stderr, l.Stdin];
        var accept = Task.WhenAll(listeners.Select(s => s.AcceptAsync(ct).AsTask()));
        var first = await Task.WhenAny(accept, vmm.WaitForExitAsync(ct), Task.Delay(ConnectTimeout, ct)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return first == accept ? await accept.ConfigureAwait(false) : null;
    }

    private static async Task ReadControlAsync(Socket control, TaskCompletionSource ready, Action<int> exited)
    {
        using var stream = new NetworkStream(control, ownsSocket: true);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                switch (ControlMessage.Parse(line))
                {
                    case ControlMessage.Ready:
                        ready.TrySetResult();
                        break;
                    case ControlMessage.Exited e:
                        exited(e.Code);
                        break;
                }
            }
        }
        catch (IOException)
        {
            // the VM went away mid-line; whatever arrived before counts
        }
    }

    private static async Task PumpAsync(Socket from, Stream to)
    {
        using var stream = new NetworkStream(from, ownsSocket: true);
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                await to.FlushAsync().ConfigureAwait(false); // live output, not batched
            }
        }
        catch (IOException)
        {
            // connection reset when QEMU is killed
        }
    }

    // Only half-closes: a fully closed socket makes QEMU drop the connection (HUP) with data still
    // unread; after a write shutdown it reads everything, then tells the guest the port closed (EOF).
    // The socket itself is closed once the VM is gone.
    private static async Task FeedStdinAsync(Stream? from, Socket to)
    {
        var stream = new NetworkStream(to, ownsSocket: false);
        try
        {
            if (from is not null)
            {
                await from.CopyToAsync(stream).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // the VM stopped reading
        }
        finally
        {
            try
            {
                to.Shutdown(SocketShutdown.Send); // EOF for the guest: QEMU closes the port
            }
            catch (SocketException)
            {
                // already gone
            }
        }
    }

    private static async Task DrainAsync(StreamReader reader, StringBuilder into)
    {
        string text = await reader.ReadToEndAsync().ConfigureAwait(false);
        lock (into)
        {
            into.Append(text.Length > 4096 ? text[^4096..] : text);
        }
    }
}
