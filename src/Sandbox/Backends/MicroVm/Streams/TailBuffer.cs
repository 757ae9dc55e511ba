namespace Sandbox.Backends.MicroVm.Streams;

/// <summary>
/// Keeps the last <see cref="Capacity"/> bytes of a stream the host must not buffer whole (the guest
/// console, QEMU's stdout and stderr): memory stays fixed however much the other side writes.
/// Thread-safe.
/// </summary>
public sealed class TailBuffer(int capacity)
{
    private readonly byte[] _ring = new byte[capacity];
    private long _total; // bytes ever appended; the ring holds the last min(_total, capacity)

    public int Capacity => _ring.Length;

    /// <summary>Bytes appended and no longer held (older than the tail).</summary>
    public long Dropped
    {
        get
        {
            lock (_ring)
            {
                return Math.Max(0, _total - _ring.Length);
            }
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_ring)
        {
            // Byte number p of the stream lives at p % capacity; only the last capacity bytes matter.
            long end = _total + data.Length;
            ReadOnlySpan<byte> kept = data.Length > _ring.Length ? data[^_ring.Length..] : data;
            int start = (int)((end - kept.Length) % _ring.Length);
            int first = Math.Min(kept.Length, _ring.Length - start);
            kept[..first].CopyTo(_ring.AsSpan(start));
            kept[first..].CopyTo(_ring);
            _total = end;
        }
    }

    /// <summary>The bytes held, oldest first.</summary>
    public byte[] ToArray()
    {
        lock (_ring)
        {
            if (_total <= _ring.Length)
            {
                return _ring[..(int)_total];
            }

            int start = (int)(_total % _ring.Length);
            return [.. _ring[start..], .. _ring[..start]];
        }
    }

    /// <summary>Reads <paramref name="from"/> to its end, keeping only the tail; the read itself is in fixed chunks.</summary>
    public async Task FillAsync(Stream from, CancellationToken ct = default)
    {
        var chunk = new byte[Math.Min(_ring.Length, 16 * 1024)];
        int n;
        while ((n = await from.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            Append(chunk.AsSpan(0, n));
        }
    }
}
