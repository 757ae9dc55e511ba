namespace Sandbox.Analysis;

/// <summary>
/// A sink for the sample's stdout or stderr: keeps the first <see cref="Cap"/> bytes in a file and
/// counts the rest, so a sample that floods its output costs the host a fixed amount of disk.
/// </summary>
public sealed class CappedOutputStream(string path, long cap) : Stream
{
    private readonly FileStream _file = new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    public long Cap => cap;

    /// <summary>Every byte the sample wrote, kept or not.</summary>
    public long Total { get; private set; }

    public long Kept => Math.Min(Total, cap);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Total;
    public override long Position { get => Total; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long room = Math.Max(0, cap - Total);
        if (room > 0)
        {
            _file.Write(buffer[..(int)Math.Min(room, buffer.Length)]);
        }

        Total += buffer.Length;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush() => _file.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _file.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }
}
