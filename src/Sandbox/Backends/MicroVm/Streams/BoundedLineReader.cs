using System.Text;

namespace Sandbox.Backends.MicroVm.Streams;

/// <summary>A line longer than the reader's limit: the peer is not speaking the protocol.</summary>
public sealed class LineTooLongException(int limit)
    : IOException($"a line longer than {limit} bytes")
{
    public int Limit { get; } = limit;
}

/// <summary>
/// Reads '\n'-terminated ASCII lines from a stream the host does not trust (the guest's control
/// port), holding at most <see cref="MaxLine"/> bytes: a longer line ends the read with
/// <see cref="LineTooLongException"/> instead of growing the launcher's memory.
/// </summary>
public sealed class BoundedLineReader(Stream from, int maxLine)
{
    private readonly byte[] _buffer = new byte[maxLine + 1];
    private int _start, _end; // unread bytes are _buffer[_start.._end]

    public int MaxLine => maxLine;

    /// <summary>Copies exactly <paramref name="count"/> bytes that follow the last line to <paramref name="to"/>; false if the stream ended first.</summary>
    public async Task<bool> CopyExactlyAsync(long count, Stream to, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        int buffered = (int)Math.Min(count, _end - _start);
        await to.WriteAsync(_buffer.AsMemory(_start, buffered), ct).ConfigureAwait(false);
        _start += buffered;
        count -= buffered;
        var chunk = new byte[64 * 1024];
        while (count > 0)
        {
            int n = await from.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, count)), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            await to.WriteAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
            count -= n;
        }

        return true;
    }

    /// <summary>The next line without its terminator; null at end of stream (a final unterminated line is returned first).</summary>
    public async Task<string?> ReadLineAsync(CancellationToken ct = default)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                string line = Encoding.ASCII.GetString(_buffer, _start, newline - _start);
                _start = newline + 1;
                return line;
            }

            if (_end - _start > maxLine)
            {
                throw new LineTooLongException(maxLine);
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            int n = await from.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (_end == _start)
                {
                    return null;
                }

                string last = Encoding.ASCII.GetString(_buffer, _start, _end - _start);
                _start = _end;
                return last;
            }

            _end += n;
        }
    }
}
