using System.Text;
using System.Text.Json;

namespace Sandbox.Lifecycle;

/// <summary>
/// A workload's output as docker's json-file driver keeps it: one JSON object per chunk with its
/// stream, time (UTC, RFC 3339 with nanosecond-style precision) and the exact bytes (base64, since
/// output need not be text). Capped: when the file passes half the cap it becomes <c>.1</c> (the
/// previous <c>.1</c> is dropped), so both together stay within the cap.
/// </summary>
public sealed class JsonFileLog : IDisposable
{
    /// <summary>The default cap: 10 MiB.</summary>
    public const long DefaultMaxBytes = 10L << 20;

    private readonly string _path;
    private readonly long _maxBytes;
    private readonly Lock _gate = new();
    private FileStream _file;

    public JsonFileLog(string path, long maxBytes)
    {
        _path = path;
        _maxBytes = Math.Max(maxBytes, 4096);
        _file = Open(path);
    }

    /// <summary>The stream of the launcher's own notices (emulation, a timeout, a signal): never the workload's bytes.</summary>
    public const string NoticeStream = "sandbox";

    /// <summary>A write-only stream whose writes become records of <paramref name="stream"/> ("stdout", "stderr" or <see cref="NoticeStream"/>).</summary>
    public Stream Stream(string stream) => new RecordStream(this, stream);

    public void Append(string stream, ReadOnlySpan<byte> bytes, DateTime time)
    {
        // A record holds at most an eighth of the cap (and 16 KiB, where docker's json-file splits):
        // one large read of the workload's output must not become a record that overflows the cap.
        int chunk = (int)Math.Min(16 << 10, _maxBytes / 8);
        do
        {
            int take = Math.Min(chunk, bytes.Length);
            AppendRecord(stream, bytes[..take], time);
            bytes = bytes[take..];
        }
        while (!bytes.IsEmpty);
    }

    private void AppendRecord(string stream, ReadOnlySpan<byte> bytes, DateTime time)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("stream", stream);
            w.WriteString("time", time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteBase64String("bytes", bytes);
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        lock (_gate)
        {
            if (_file.Length > 0 && _file.Length + buffer.Length > _maxBytes / 2)
            {
                _file.Dispose();
                File.Move(_path, _path + ".1", overwrite: true);
                _file = Open(_path);
            }

            _file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            _file.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file.Dispose();
        }
    }

    private static FileStream Open(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Append,
        Access = FileAccess.Write,
        Share = FileShare.ReadWrite | FileShare.Delete,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    /// <summary>The records in <paramref name="path"/> (its rotated file first), oldest first.</summary>
    public static IEnumerable<LogRecord> Read(string path)
    {
        foreach (string file in new[] { path + ".1", path })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8);
            while (reader.ReadLine() is { } line)
            {
                if (Parse(line) is { } record)
                {
                    yield return record;
                }
            }
        }
    }

    /// <summary>One record; null for a line cut short (the supervisor killed mid-write).</summary>
    public static LogRecord? Parse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            return new LogRecord(o.GetProperty("stream").GetString()!, o.GetProperty("time").GetString()!, o.GetProperty("bytes").GetBytesFromBase64());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private sealed class RecordStream(JsonFileLog log, string stream) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => log.Append(stream, buffer, DateTime.UtcNow);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>One json-file record: the stream, its time as written, and the bytes.</summary>
public sealed record LogRecord(string Stream, string Time, byte[] Bytes);
