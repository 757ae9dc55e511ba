using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Sandbox.Tests.Support;

/// <summary>Builds tar layers entry by entry, including the hostile ones a real tool would never write.</summary>
public sealed class TarBuilder
{
    private readonly List<TarEntry> _entries = [];

    public TarBuilder Dir(string name, UnixFileMode mode = (UnixFileMode)0b111_101_101) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode });

    public TarBuilder File(string name, string content = "", UnixFileMode mode = (UnixFileMode)0b110_100_100, int uid = 0, int gid = 0) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            Uid = uid,
            Gid = gid,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        });

    public TarBuilder ZeroFile(string name, long length) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0b110_100_100, DataStream = new ZeroStream(length) });

    public TarBuilder Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    public TarBuilder HardLink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public TarBuilder CharDevice(string name, int major, int minor) =>
        Add(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0b110_110_110 });

    public TarBuilder Fifo(string name) => Add(new PaxTarEntry(TarEntryType.Fifo, name));

    public TarBuilder Add(TarEntry entry)
    {
        _entries.Add(entry);
        return this;
    }

    public byte[] Build()
    {
        using var output = new MemoryStream();
        WriteTo(output);
        return output.ToArray();
    }

    public void WriteTo(Stream output)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (TarEntry entry in _entries)
        {
            writer.WriteEntry(entry);
        }
    }

    /// <summary>
    /// The archive with <paramref name="placeholder"/> in the first header's name field replaced by
    /// <paramref name="raw"/> (same length) and the checksum redone: a name that is not UTF-8, as GNU
    /// tar writes one, which TarWriter cannot.
    /// </summary>
    public static byte[] WithRawName(byte[] tar, string placeholder, byte[] raw)
    {
        byte[] patched = [.. tar];
        byte[] from = Encoding.ASCII.GetBytes(placeholder);
        int at = patched.AsSpan(0, 100).IndexOf(from);
        if (at < 0 || raw.Length != from.Length)
        {
            throw new ArgumentException($"'{placeholder}' is not in the first name field, or the replacement differs in length");
        }

        raw.CopyTo(patched, at);
        patched.AsSpan(148, 8).Fill((byte)' ');
        int sum = patched.AsSpan(0, 512).ToArray().Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(patched, 148);
        return patched;
    }

    /// <summary>The layer gzip-compressed, streamed so a large layer is never whole in memory before compression.</summary>
    public byte[] BuildGzip()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            WriteTo(gzip);
        }

        return output.ToArray();
    }

    /// <summary>Reads as <paramref name="length"/> zero bytes without allocating them (seekable, as TarWriter wants).</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) =>
            _position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };

        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
