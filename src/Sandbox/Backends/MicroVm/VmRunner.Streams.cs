using System.Diagnostics;
using System.Net.Sockets;
using Sandbox.Backends.MicroVm.Streams;

namespace Sandbox.Backends.MicroVm;

/// <summary>The workload's stdio between the host and the guest's ports: stdin fed in, stdout/stderr pumped out and counted, QEMU's own output drained.</summary>
public sealed partial class VmRunner
{
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

    // QEMU's own output is read to its end (so QEMU never blocks on it) but only its tail is kept.
    private static async Task DrainAsync(Stream from, TailBuffer into)
    {
        try
        {
            await into.FillAsync(from).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // the pipe broke: what arrived counts
        }
    }

    /// <summary>
    /// Copies one guest stream (a socket QEMU writes) to its sink, counting the bytes received.
    /// It tracks how long a read has been waiting, so the host can tell a guest that sends nothing
    /// from a sink that is merely slow.
    /// </summary>
    private sealed class StreamPump
    {
        private readonly Socket _from;
        private long _received;
        private long _readingSince; // Stopwatch timestamp while a read is pending, else 0

        public StreamPump(Socket from, Stream to)
        {
            _from = from;
            Completion = RunAsync(to);
        }

        public Task Completion { get; }

        public long Received => Interlocked.Read(ref _received);

        private TimeSpan ReadWait =>
            Interlocked.Read(ref _readingSince) is var since && since != 0 ? Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;

        /// <summary>True once <paramref name="bytes"/> have been received; false if the stream ended or stalled before.</summary>
        public async Task<bool> WaitForAsync(long bytes, TimeSpan stall, CancellationToken ct)
        {
            while (Received < bytes)
            {
                if (Completion.IsCompleted || ReadWait > stall)
                {
                    return Received >= bytes;
                }

                await Task.WhenAny(Completion, Task.Delay(TimeSpan.FromMilliseconds(50), ct)).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
            }

            return true;
        }

        /// <summary>Waits until everything received is written to the sink; gives up on a socket that delivers nothing for <paramref name="stall"/>.</summary>
        public async Task DrainAsync(TimeSpan stall)
        {
            while (!Completion.IsCompleted)
            {
                await Task.WhenAny(Completion, Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None)).ConfigureAwait(false);
                if (ReadWait > stall)
                {
                    _from.Dispose(); // ends the pending read
                }
            }

            await Completion.ConfigureAwait(false);
        }

        private async Task RunAsync(Stream to)
        {
            await Task.Yield();
            using var stream = new NetworkStream(_from, ownsSocket: true);
            var buffer = new byte[64 * 1024];
            bool sinkOpen = true;
            try
            {
                while (true)
                {
                    Interlocked.Exchange(ref _readingSince, Stopwatch.GetTimestamp());
                    int n = await stream.ReadAsync(buffer).ConfigureAwait(false);
                    Interlocked.Exchange(ref _readingSince, 0);
                    if (n == 0)
                    {
                        break;
                    }

                    Interlocked.Add(ref _received, n);
                    if (sinkOpen)
                    {
                        try
                        {
                            await to.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                            await to.FlushAsync().ConfigureAwait(false); // live output, not batched
                        }
                        catch (IOException)
                        {
                            sinkOpen = false; // e.g. a closed pipe: keep reading, so the guest is never blocked on it
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                // connection reset when QEMU is killed, or given up on after it exited
            }
            finally
            {
                Interlocked.Exchange(ref _readingSince, 0);
            }
        }
    }
}
