using System.Text;
using Sandbox.Backends.MicroVm.Streams;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>
/// The guest console (ttyS0). QEMU writes it to a socket the launcher reads for the whole run into
/// a fixed ring: only the last <see cref="Capacity"/> bytes are ever held, and nothing reaches the
/// disk, however much the guest prints. Used for failure reports.
/// </summary>
public sealed class ConsoleLog
{
    /// <summary>Enough for a kernel panic with its stack trace and the init messages before it.</summary>
    public const int Capacity = 64 * 1024;

    private readonly TailBuffer _tail = new(Capacity);

    /// <summary>Bytes the guest printed that are no longer held.</summary>
    public long Dropped => _tail.Dropped;

    /// <summary>Reads the console until QEMU closes it; the guest is never blocked on the host.</summary>
    public async Task CaptureAsync(Stream console)
    {
        try
        {
            await _tail.FillAsync(console).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // QEMU went away: what arrived counts
        }
    }

    public void Append(ReadOnlySpan<byte> data) => _tail.Append(data);

    public string Tail(int lines = 15)
    {
        string[] all = Lines();
        return all.Length == 0 ? "(no console output)" : string.Join('\n', all.TakeLast(lines).Select(l => "  | " + l));
    }

    /// <summary>The "Kernel panic - not syncing: ..." line, if the guest kernel panicked.</summary>
    public string? Panic() => Lines().Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Kernel panic", StringComparison.Ordinal));

    // Guest bytes, printed on the user's terminal: every control character is shown escaped.
    private string[] Lines() =>
        [.. Encoding.UTF8.GetString(_tail.ToArray()).Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Host.Printable.Escape(l))];
}
