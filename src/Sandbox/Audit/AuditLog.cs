using System.Text;
using Sandbox.Host.Files;
using Sandbox.Runtime;

namespace Sandbox.Audit;

/// <summary>
/// The append-only audit log: JSON lines under the state root (audit/audit.log), hash-chained.
/// Appends are serialized across launchers by an exclusive flock on the log, written with one
/// O_APPEND write of the whole line, and fsynced before the launcher goes on. A torn last line
/// (a crash mid-write) is never dropped or overwritten: the next append ends it with a newline and
/// chains to its bytes, so `audit verify` keeps reporting it.
/// Rotation renames the log to the next segment (audit.000001.log, ...) and the new log's first record
/// chains to the last segment's head, so the segments in order verify as one chain.
/// With an audit key (<see cref="AuditKey"/>), every record also carries an HMAC under that key.
/// </summary>
public sealed class AuditLog(string path, Func<AuditKey?>? key = null)
{
    public string Path { get; } = path;

    /// <summary>The state root's log; records are keyed when an audit key is configured (resolved at the first append).</summary>
    public static AuditLog For(StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return new AuditLog(System.IO.Path.Combine(root.Path, "audit", "audit.log"), () => AuditKey.Resolve(root, null));
    }

    /// <summary>Rotated segments, oldest first (audit.000001.log, ...); the live log is not among them.</summary>
    public IReadOnlyList<string> Segments()
    {
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        string stem = System.IO.Path.GetFileNameWithoutExtension(Path);
        return Directory.Exists(dir)
            ? [.. Directory.EnumerateFiles(dir, stem + ".*.log").Where(f => SegmentNumber(f) is not null).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>Every segment then the live log, concatenated: one chain from the oldest kept record.</summary>
    public byte[] ReadAllSegments()
    {
        using var all = new MemoryStream();
        foreach (string segment in Segments())
        {
            all.Write(AppendOnlyFile.ReadShared(segment));
        }

        all.Write(ReadAll());
        return all.ToArray();
    }

    /// <summary>
    /// Closes the live log as the next segment; the next record starts a new live log chained to its
    /// head. Returns the segment's path and head, or null when the log is empty. A torn last line is
    /// refused: it would break the chain at the segment boundary.
    /// </summary>
    public (string Segment, string Head, long Records)? Rotate()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        using var file = OpenCurrent();
        if (file.Length == 0)
        {
            return null;
        }

        (long lines, string head, bool torn) = Tail(file);
        if (torn)
        {
            throw new SandboxException(ErrorKind.StateConflict, $"the audit log {Path} ends in a torn line, so it cannot be rotated", "run sandbox audit verify: the chain must be intact at the segment boundary");
        }

        int next = Segments().Select(f => SegmentNumber(f)!.Value).DefaultIfEmpty(0).Max() + 1;
        string segment = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!,
            $"{System.IO.Path.GetFileNameWithoutExtension(Path)}.{next:D6}.log");
        File.Move(Path, segment); // under the lock: appenders that waited see the path moved and reopen
        return (segment, head, lines);
    }

    /// <summary>Appends the record <paramref name="build"/> makes from the next sequence number and previous hash.</summary>
    public AuditRecord Append(Func<long, string, AuditRecord> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AuditKey? sealer = key?.Invoke();
        using var file = OpenCurrent();
        (long lines, string prev, bool torn) = file.Length == 0 ? PreviousSegmentTail() : Tail(file);
        AuditRecord record = build(lines + 1, prev);
        byte[] line = AuditChain.Seal(record, sealer);
        byte[] bytes = [.. torn ? "\n"u8 : [], .. line, (byte)'\n'];
        file.AppendAndSync(bytes);
        return AuditChain.TryParse(line, out _)!;
    }

    /// <summary>Every line of the log, exactly as stored (empty when there is no log yet), between appends.</summary>
    public byte[] ReadAll() => AppendOnlyFile.ReadShared(Path);

    /// <summary>Lines (records or not), the last one possibly without a newline.</summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> SplitLines(byte[] content, out bool tornTail)
    {
        ArgumentNullException.ThrowIfNull(content);
        var lines = new List<ReadOnlyMemory<byte>>();
        int start = 0;
        for (int i = 0; i < content.Length; i++)
        {
            if (content[i] == (byte)'\n')
            {
                lines.Add(content.AsMemory(start, i - start));
                start = i + 1;
            }
        }

        tornTail = start < content.Length;
        if (tornTail)
        {
            lines.Add(content.AsMemory(start));
        }

        return lines;
    }

    // Locks the live log, reopening when a rotation moved it away while this process waited.
    private AppendOnlyFile OpenCurrent()
    {
        while (true)
        {
            var file = AppendOnlyFile.OpenLocked(Path);
            if (file.IsStillAt(Path))
            {
                return file;
            }

            file.Dispose();
        }
    }

    // An empty live log continues the last segment: its last sequence number and line hash.
    private (long Lines, string Prev, bool Torn) PreviousSegmentTail()
    {
        if (Segments() is not [.., string last])
        {
            return (0, AuditChain.Genesis, false);
        }

        var lines = SplitLines(AppendOnlyFile.ReadShared(last), out _);
        if (lines.Count == 0)
        {
            return (0, AuditChain.Genesis, false);
        }

        long seq = AuditChain.TryParse(lines[^1].Span, out _)?.Seq
            ?? throw new SandboxException(ErrorKind.StateConflict, $"the last record of the audit segment {last} is not valid", "run sandbox audit verify");
        return (seq, AuditChain.LineHash(lines[^1].Span), false);
    }

    private const long FirstTailWindow = 16 << 10; // a record is ~2 KiB
    private const long LastTailWindow = 1 << 20;

    private static int? SegmentNumber(string file)
    {
        string[] parts = System.IO.Path.GetFileName(file).Split('.');
        return parts.Length == 3 && parts[1].Length == 6 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    // The number of lines so far, the hash of the last one, and whether it lacks its newline.
    // The common case reads only the end of the file: a window that starts at one record's worth and
    // widens until it holds the whole last line (up to 1 MiB), so an append costs the same on a log of
    // any size. An odd tail falls back to a full scan.
    private static (long Lines, string Prev, bool Torn) Tail(AppendOnlyFile file)
    {
        long size = file.Length;
        if (size == 0)
        {
            return (0, AuditChain.Genesis, false);
        }

        for (long window = Math.Min(size, FirstTailWindow); ; window = Math.Min(size, window * 4))
        {
            byte[] tail = file.ReadTail(window);
            bool torn = tail[^1] != (byte)'\n';
            int end = torn ? tail.Length : tail.Length - 1;
            int start = Array.LastIndexOf(tail, (byte)'\n', Math.Max(end - 1, 0)) + 1;
            bool complete = start > 0 || tail.Length == size;
            if (!complete && window < Math.Min(size, LastTailWindow))
            {
                continue;
            }

            if (!torn && complete && AuditChain.TryParse(tail.AsSpan(start, end - start), out _) is { } last)
            {
                return (last.Seq, AuditChain.LineHash(tail.AsSpan(start, end - start)), false);
            }

            break;
        }

        var lines = SplitLines(file.ReadTail(size), out bool tornTail);
        long first = AuditChain.TryParse(lines[0].Span, out _)?.Seq ?? 1; // a rotated log continues its segment's numbering
        return (first - 1 + lines.Count, AuditChain.LineHash(lines[^1].Span), tornTail);
    }

    internal static string Describe(ReadOnlySpan<byte> line) =>
        Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)]);
}
