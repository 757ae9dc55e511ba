using System.Net.Sockets;
using System.Text;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Streams;

namespace Sandbox.Backends.MicroVm;

/// <summary>What guest init says on the control port during a run (ready, applied, exit report, analysis report, exec replies), and the host's answer to the exit report.</summary>
public sealed partial class VmRunner
{
    /// <summary>What guest init reported besides the exit status.</summary>
    private sealed class GuestReport
    {
        public ControlMessage.Applied? Applied { get; set; }

        public bool ConfigMismatch { get; set; }

        public string? EngineError { get; set; }

        public bool OutOfMemory { get; set; }

        public bool ReportReceived { get; set; }
    }

    /// <param name="violation">Told why, when the guest breaks the protocol; reading stops.</param>
    private static async Task ReadControlAsync(
        Socket control, TaskCompletionSource waiting, TaskCompletionSource ready, TaskCompletionSource started, GuestReport report, string configSha256, string? reportPath,
        CancellationTokenSource stop, GuestControl? guest, Action<ControlMessage.Exited> exited, Action<string> violation)
    {
        using var stream = new NetworkStream(control, ownsSocket: true);
        var reader = new BoundedLineReader(stream, ControlMessage.MaxLine);
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                switch (ControlMessage.Parse(line))
                {
                    case ControlMessage.Applied a when report.Applied is null:
                        report.Applied = a;
                        if (a.ConfigSha256 != configSha256)
                        {
                            report.ConfigMismatch = true; // never run a workload under a config the host did not send
                            await stop.CancelAsync().ConfigureAwait(false);
                        }

                        break;
                    case ControlMessage.Waiting:
                        waiting.TrySetResult();
                        break;
                    case ControlMessage.Ready:
                        ready.TrySetResult();
                        break;
                    case ControlMessage.Started when report.Applied is not null && !report.ConfigMismatch:
                        started.TrySetResult();
                        break;
                    case ControlMessage.Engine e:
                        report.EngineError ??= e.Error;
                        break;
                    case ControlMessage.Report r:
                        if (reportPath is null || r.Length > MaxReport || report.ReportReceived)
                        {
                            violation(reportPath is null
                                ? "the guest sent an analysis report to a run that asked for none; the microVM was killed"
                                : $"the guest sent an analysis report of {r.Length} bytes (at most {MaxReport} are accepted); the microVM was killed");
                            return;
                        }

                        await using (var file = new FileStream(reportPath, new FileStreamOptions
                        {
                            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                        }))
                        {
                            report.ReportReceived = await reader.CopyExactlyAsync(r.Length, file).ConfigureAwait(false) && r.Length > 0;
                        }

                        break;
                    case ControlMessage.ExecRead r:
                        guest?.Acknowledge(r.Id);
                        break;
                    case ControlMessage.ExecDone x:
                        if (guest is null || x.Stdout > ControlMessage.MaxExecOutput || x.Stderr > ControlMessage.MaxExecOutput || x.EngineError > ControlMessage.MaxExecEngineError)
                        {
                            violation($"the guest sent an exec report of {x.Stdout}+{x.Stderr}+{x.EngineError} bytes (at most {ControlMessage.MaxExecOutput} a stream and {ControlMessage.MaxExecEngineError} of crun's error are accepted); the microVM was killed");
                            return;
                        }

                        using (MemoryStream o = new(), e = new(), g = new())
                        {
                            if (!await reader.CopyExactlyAsync(x.Stdout, o).ConfigureAwait(false) || !await reader.CopyExactlyAsync(x.Stderr, e).ConfigureAwait(false)
                                || !await reader.CopyExactlyAsync(x.EngineError, g).ConfigureAwait(false))
                            {
                                return; // the VM went away mid-report
                            }

                            guest.Complete(x.Id, new ExecOutput(x.Status, o.ToArray(), e.ToArray(), x.EngineError == 0 ? null : System.Text.Encoding.UTF8.GetString(g.ToArray())));
                        }

                        break;
                    case ControlMessage.Exited e:
                        report.OutOfMemory = e.OutOfMemory;
                        exited(e);
                        break;
                }
            }
        }
        catch (LineTooLongException e)
        {
            violation($"the guest sent a control message longer than {e.Limit} bytes (the protocol's lines are a few dozen); the microVM was killed");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // the VM went away mid-line; whatever arrived before counts
        }
        finally
        {
            guest?.Close(); // execs still waiting get their answer: the guest is gone
        }
    }

    /// <summary>
    /// Answers the guest's exit report: once the pumps have received as many bytes as the guest
    /// counted on each stream, tells it to power off. A stream that delivers nothing for
    /// <see cref="OutputStall"/> while bytes are still owed is given up on (output may be incomplete).
    /// </summary>
    private static async Task AcknowledgeAsync(Socket control, ControlMessage.Exited exit, StreamPump stdout, StreamPump stderr, Action incomplete, CancellationToken ct)
    {
        try
        {
            bool complete = exit.Stdout is { } o && exit.Stderr is { } e
                && await stdout.WaitForAsync(o, OutputStall, ct).ConfigureAwait(false)
                && await stderr.WaitForAsync(e, OutputStall, ct).ConfigureAwait(false);
            if (!complete)
            {
                incomplete();
            }

            await control.SendAsync(Encoding.ASCII.GetBytes(ControlMessage.PowerOff), SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // stopped (timeout, signal) or the VM went away: it is killed or already gone
        }
    }
}
