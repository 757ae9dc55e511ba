using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Sandbox.Telemetry;

namespace Sandbox.Backends.MicroVm.Templates;

/// <summary>What a microVM run does with VM templates (docs/templates.md); the runner carries it out.</summary>
public abstract record TemplateRun
{
    /// <summary>What the audit record says about how the guest came up.</summary>
    public abstract string Boot { get; }

    /// <summary>
    /// Boot cold in the template's device model and, once init says it waits for its spec, pause the
    /// VM, save it into the store and let it go on with this run (the saved state holds nothing of
    /// this run: the spec is sent only afterwards).
    /// </summary>
    /// <param name="Qmp">Listener for QEMU's monitor.</param>
    /// <param name="Migration">Listener QEMU sends the saved state to.</param>
    /// <param name="MigrationInJail">That listener's path as QEMU sees it.</param>
    public sealed record Capture(TemplateStore Store, TemplateKey Key, Socket Qmp, Socket Migration, string MigrationInJail, string Why) : TemplateRun
    {
        public override string Boot => $"booted; this run saved template {Key.Digest} ({Why})";
    }

    /// <summary>Start from a saved template: its state is streamed into QEMU's -incoming socket.</summary>
    /// <param name="IncomingSocket">Where QEMU listens, as the host sees it.</param>
    /// <param name="State">The state file, opened when the template was checked.</param>
    public sealed record Restore(VmTemplate Template, FileStream State, string IncomingSocket) : TemplateRun
    {
        public override string Boot => $"restored from template {Template.Digest}";
    }

    /// <summary>How long the capture may take once the guest waits (pause, save, resume).</summary>
    public static readonly TimeSpan CaptureBudget = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Saves the VM: migrate to the host's socket (received into a temp file, hashed,
    /// fsync'd), then resume it; publishes the template. Any failure resumes the VM and is returned
    /// (the run goes on as the cold boot it already is); null on success.
    /// </summary>
    public static async Task<string?> CaptureAsync(Capture c, Socket qmpConnection, Task waiting, PhaseTrace trace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(waiting);
        string temp = c.Store.NewTempState();
        QmpClient? qmp = null;
        bool stopped = false;
        try
        {
            qmp = await QmpClient.ConnectAsync(qmpConnection, ct).ConfigureAwait(false);
            await waiting.WaitAsync(ct).ConfigureAwait(false);
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(CaptureBudget);
            // Not paused first: QEMU stops the VM itself for the last pass, and a state saved from a
            // running VM restores running (a paused one would restore paused and need a monitor to resume).
            stopped = true;
            await qmp.ExecuteAsync("migrate-set-parameters", "{\"max-bandwidth\":8589934592}", budget.Token).ConfigureAwait(false); // not 128 MiB/s
            trace.Mark("guest waits for its spec: saving the template");
            var accepted = c.Migration.AcceptAsync(budget.Token).AsTask();
            await qmp.ExecuteAsync("migrate", $"{{\"uri\":{JsonSerializer.Serialize("unix:" + c.MigrationInJail, TemplateJson.Default.String)}}}", budget.Token)
                .ConfigureAwait(false);
            (string sha, long size) received;
            using (var stream = new NetworkStream(await accepted.ConfigureAwait(false), ownsSocket: true))
            {
                received = await TemplateStore.ReceiveAsync(stream, temp, budget.Token).ConfigureAwait(false);
            }

            string status = await MigrationStatusAsync(qmp, budget.Token).ConfigureAwait(false);
            if (status != "completed")
            {
                return $"QEMU's migration ended {status}";
            }

            await qmp.ExecuteAsync("cont", null, budget.Token).ConfigureAwait(false);
            stopped = false;
            c.Store.Publish(c.Key, temp, received.sha, received.size);
            trace.Mark(string.Create(CultureInfo.InvariantCulture, $"template saved ({received.size >> 20} MiB), VM resumed"));
            return null;
        }
        catch (Exception e) when (e is IOException or SocketException or JsonException or OperationCanceledException or UnauthorizedAccessException)
        {
            return e is OperationCanceledException ? "timed out" : e.Message;
        }
        finally
        {
            if (stopped && qmp is not null)
            {
                try
                {
                    await qmp.ExecuteAsync("cont", null, ct).ConfigureAwait(false); // the run goes on as a cold boot
                }
                catch (Exception e) when (e is IOException or SocketException or JsonException or OperationCanceledException)
                {
                    // the VM is gone or stuck: the runner's own budgets end it
                }
            }

            qmp?.Dispose();
            File.Delete(temp);
        }
    }

    // query-migrate's status once it is no longer active (the stream's EOF can come just before QEMU marks it completed).
    private static async Task<string> MigrationStatusAsync(QmpClient qmp, CancellationToken ct)
    {
        while (true)
        {
            var reply = await qmp.ExecuteAsync("query-migrate", null, ct).ConfigureAwait(false);
            string status = reply.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "";
            if (status is not ("active" or "setup" or "device" or "pre-switchover" or ""))
            {
                return status;
            }

            await Task.Delay(10, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Streams the saved state into QEMU's -incoming socket (which it creates once its devices are up).</summary>
    public static async Task RestoreAsync(Restore r, TimeSpan connectTimeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(r);
        var deadline = DateTime.UtcNow + connectTimeout;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        while (true)
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(r.IncomingSocket), ct).ConfigureAwait(false);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(2, ct).ConfigureAwait(false); // not listening yet
            }
        }

        await using (var to = new NetworkStream(socket, ownsSocket: false))
        {
            await r.State.CopyToAsync(to, 1 << 20, ct).ConfigureAwait(false);
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TemplateJson : System.Text.Json.Serialization.JsonSerializerContext;
