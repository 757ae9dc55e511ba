using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sandbox.Backends.MicroVm.Streams;

namespace Sandbox.Backends.MicroVm.Templates;

/// <summary>
/// The least of QEMU's machine protocol (QMP) a template capture needs: the greeting, capability
/// negotiation and commands answered by "return" or "error"; asynchronous events are skipped.
/// QEMU connects to the launcher's socket as a client, like its other ports.
/// </summary>
public sealed class QmpClient : IDisposable
{
    private const int MaxLine = 64 * 1024;

    private readonly NetworkStream _stream;
    private readonly BoundedLineReader _reader;

    private QmpClient(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new BoundedLineReader(_stream, MaxLine);
    }

    /// <summary>Reads the greeting and leaves negotiation mode.</summary>
    public static async Task<QmpClient> ConnectAsync(Socket accepted, CancellationToken ct)
    {
        var qmp = new QmpClient(accepted);
        try
        {
            string greeting = await qmp.ReadLineAsync(ct).ConfigureAwait(false);
            if (!greeting.Contains("\"QMP\"", StringComparison.Ordinal))
            {
                throw new IOException($"QEMU's monitor did not greet with QMP: {greeting}");
            }

            await qmp.ExecuteAsync("qmp_capabilities", null, ct).ConfigureAwait(false);
            return qmp;
        }
        catch
        {
            qmp.Dispose();
            throw;
        }
    }

    /// <summary>Runs one command; its "return" value, or an <see cref="IOException"/> carrying QEMU's error.</summary>
    /// <param name="arguments">The command's arguments as a JSON object, or null.</param>
    public async Task<JsonElement> ExecuteAsync(string command, string? arguments, CancellationToken ct)
    {
        string request = arguments is null
            ? $"{{\"execute\":\"{command}\"}}\n"
            : $"{{\"execute\":\"{command}\",\"arguments\":{arguments}}}\n";
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request), ct).ConfigureAwait(false);
        while (true)
        {
            using var reply = JsonDocument.Parse(await ReadLineAsync(ct).ConfigureAwait(false));
            if (reply.RootElement.TryGetProperty("return", out var value))
            {
                return value.Clone();
            }

            if (reply.RootElement.TryGetProperty("error", out var error))
            {
                throw new IOException($"QEMU refused {command}: {(error.TryGetProperty("desc", out var d) ? d.GetString() : error.ToString())}");
            }

            // an event ("event": ...): not an answer
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct) =>
        await _reader.ReadLineAsync(ct).ConfigureAwait(false) ?? throw new IOException("QEMU closed its monitor");

    public void Dispose() => _stream.Dispose();
}
