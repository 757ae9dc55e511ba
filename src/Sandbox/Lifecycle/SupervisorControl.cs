using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Sandbox.Lifecycle;

/// <summary>
/// The CLI's line to a live supervisor: a unix socket in the sandbox's directory (mode 0600, so only
/// root connects; no port). One request line, one reply line: <c>stop SECONDS</c> (replies once the
/// workload ended) or <c>kill SIGNAL</c>; an <c>exec</c> request carries a payload and gets one back
/// (<see cref="Exec.ExecWire"/>).
/// </summary>
public static class SupervisorControl
{
    /// <summary>Sends <paramref name="request"/> and returns the reply; null when no supervisor answers.</summary>
    public static async Task<string?> SendAsync(string socketPath, string request, TimeSpan timeout)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes(request + "\n"), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            var reply = new MemoryStream();
            var buffer = new byte[256];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false)) > 0)
            {
                reply.Write(buffer, 0, n);
            }

            return Encoding.ASCII.GetString(reply.ToArray()).Trim();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Serves requests until <paramref name="ct"/> is cancelled; <paramref name="handle"/> answers each line.</summary>
    /// <param name="stream">Answers requests that carry bytes after their line (exec): reads them from the reader, writes its whole reply; false for a line it does not take.</param>
    public static async Task ServeAsync(string socketPath, Func<string, Task<string>> handle, CancellationToken ct,
        Func<string, Backends.MicroVm.Streams.BoundedLineReader, Stream, Task<bool>>? stream = null)
    {
        File.Delete(socketPath);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(8);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                Socket client = await listener.AcceptAsync(ct).ConfigureAwait(false);
                _ = AnswerAsync(client, handle, stream);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    private static async Task AnswerAsync(Socket client, Func<string, Task<string>> handle, Func<string, Backends.MicroVm.Streams.BoundedLineReader, Stream, Task<bool>>? stream)
    {
        using (client)
        {
            try
            {
                using var connection = new NetworkStream(client, ownsSocket: false);
                var reader = new Backends.MicroVm.Streams.BoundedLineReader(connection, 256); // whatever follows the line stays unread for the stream handler
                string line = (await reader.ReadLineAsync().ConfigureAwait(false) ?? "").Trim();
                if (stream is null || !await stream(line, reader, connection).ConfigureAwait(false))
                {
                    string reply = await handle(line).ConfigureAwait(false);
                    await client.SendAsync(Encoding.ASCII.GetBytes(reply + "\n"), SocketFlags.None).ConfigureAwait(false);
                }

                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                // the caller went away, or sent a line longer than any request
            }
        }
    }

    public static bool TryParse(string line, out string verb, out int value)
    {
        string[] parts = line.Split(' ', 2);
        verb = parts[0];
        value = 0;
        return parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
