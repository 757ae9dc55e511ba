using System.Net.Sockets;
using System.Text;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Streams;

namespace Sandbox.Tests.Unit.MicroVm;

/// <summary>
/// The launcher reads the guest's control port, its console and QEMU's own output; each peer may be
/// hostile. These flood a real socket pair and assert the reader holds a bounded amount and stops
/// (or keeps only a tail) instead of buffering what the peer sends.
/// </summary>
public sealed class BoundedStreamTests
{
    private const long Flood = 256L << 20; // far more than any bound, far less than a test host's RAM

    [Fact]
    public async Task A_control_line_without_end_stops_the_reader_at_its_limit()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var (reader, writer) = Pair();
        using var stream = new NetworkStream(reader, ownsSocket: true);
        long written = 0;
        var flood = Task.Run(() =>
        {
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            try
            {
                while (written < Flood)
                {
                    written += writer.Send(chunk);
                }
            }
            catch (SocketException)
            {
                // the reader closed its end
            }
        }, ct);

        var lines = new BoundedLineReader(stream, ControlMessage.MaxLine);
        var e = await Assert.ThrowsAsync<LineTooLongException>(() => lines.ReadLineAsync(ct));
        Assert.Equal(ControlMessage.MaxLine, e.Limit);
        stream.Dispose();
        await flood;
        writer.Dispose();
        // The reader stopped: the flood got no further than the limit plus the kernel's socket buffers.
        Assert.True(written < 16L << 20, $"the reader consumed {written} bytes of a line it should have refused after {e.Limit}");
    }

    [Fact]
    public async Task Protocol_lines_split_across_reads_arrive_whole()
    {
        var (reader, writer) = Pair();
        using var stream = new NetworkStream(reader, ownsSocket: true);
        using (writer)
        {
            foreach (string part in new[] { "rea", "dy\nexit 3", " 10 2", "0\n", "tail" })
            {
                writer.Send(Encoding.ASCII.GetBytes(part));
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }

        var lines = new BoundedLineReader(stream, ControlMessage.MaxLine);
        Assert.Equal("ready", await lines.ReadLineAsync(TestContext.Current.CancellationToken));
        Assert.Equal("exit 3 10 20", await lines.ReadLineAsync(TestContext.Current.CancellationToken));
        Assert.Equal("tail", await lines.ReadLineAsync(TestContext.Current.CancellationToken));
        Assert.Null(await lines.ReadLineAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_line_of_exactly_the_limit_is_accepted()
    {
        var line = new string('a', ControlMessage.MaxLine);
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(line + "\nnext\n"));
        var lines = new BoundedLineReader(stream, ControlMessage.MaxLine);
        Assert.Equal(line, await lines.ReadLineAsync(TestContext.Current.CancellationToken));
        Assert.Equal("next", await lines.ReadLineAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_flooded_console_keeps_only_its_last_64_KiB()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var (reader, writer) = Pair();
        var console = new ConsoleLog();
        Task capture = console.CaptureAsync(new NetworkStream(reader, ownsSocket: true));
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await Task.Run(() =>
        {
            using (writer)
            {
                var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("flood flood flood flood flood\n", 2000)));
                for (long sent = 0; sent < Flood; sent += chunk.Length)
                {
                    writer.Send(chunk);
                }

                writer.Send("Kernel panic - not syncing: the end\n"u8.ToArray());
            }
        }, ct);
        await capture;
        long held = GC.GetTotalMemory(forceFullCollection: true) - before;

        Assert.True(console.Dropped >= Flood - ConsoleLog.Capacity, $"dropped {console.Dropped}");
        Assert.Equal("Kernel panic - not syncing: the end", console.Panic());
        Assert.EndsWith("  | Kernel panic - not syncing: the end", console.Tail(), StringComparison.Ordinal);
        Assert.True(held < 16L << 20, $"the console reader grew the heap by {held} bytes for a {Flood}-byte flood");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(25)]
    public void The_tail_is_the_last_bytes_in_order(int chunk)
    {
        var tail = new TailBuffer(10);
        var all = new List<byte>();
        for (int i = 0; i < 100; i += chunk)
        {
            byte[] part = [.. Enumerable.Range(i, chunk).Select(b => (byte)b)];
            tail.Append(part);
            all.AddRange(part);
            Assert.Equal(all.TakeLast(10), tail.ToArray());
        }

        Assert.Equal(all.Count - 10, tail.Dropped);
    }

    private static (Socket Reader, Socket Writer) Pair()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bounded-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var writer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        writer.Connect(new UnixDomainSocketEndPoint(path));
        var reader = listener.Accept();
        File.Delete(path);
        return (reader, writer);
    }
}
