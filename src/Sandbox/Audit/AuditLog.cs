using System.Text;
using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Audit;

/// <summary>
/// The append-only audit log: JSON lines under the state root (audit/audit.log), hash-chained.
/// Appends are serialized across launchers by an exclusive flock on the log, written with one
/// O_APPEND write of the whole line, and fsynced before the launcher goes on. A torn last line
/// (a crash mid-write) is never dropped or overwritten: the next append ends it with a newline and
/// chains to its bytes, so `audit verify` keeps reporting it.
/// </summary>
public sealed class AuditLog(string path)
{
    public string Path { get; } = path;

    public static AuditLog For(StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return new AuditLog(System.IO.Path.Combine(root.Path, "audit", "audit.log"));
    }

    /// <summary>Appends the record <paramref name="build"/> makes from the next sequence number and previous hash.</summary>
    public AuditRecord Append(Func<long, string, AuditRecord> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var file = AppendOnlyFile.OpenLocked(Path);
        (long lines, string prev, bool torn) = Tail(file);
        AuditRecord record = build(lines + 1, prev);
        byte[] line = AuditChain.Seal(record);
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

    // The number of lines so far, the hash of the last one, and whether it lacks its newline.
    // The common case reads only the end of the file; an odd tail falls back to a full scan.
    private static (long Lines, string Prev, bool Torn) Tail(AppendOnlyFile file)
    {
        long size = file.Length;
        if (size == 0)
        {
            return (0, AuditChain.Genesis, false);
        }

        byte[] tail = file.ReadTail(Math.Min(size, 1 << 20));
        bool torn = tail[^1] != (byte)'\n';
        int end = torn ? tail.Length : tail.Length - 1;
        int start = Array.LastIndexOf(tail, (byte)'\n', Math.Max(end - 1, 0)) + 1;
        bool complete = start > 0 || tail.Length == size;
        if (!torn && complete && AuditChain.TryParse(tail.AsSpan(start, end - start), out _) is { } last)
        {
            return (last.Seq, AuditChain.LineHash(tail.AsSpan(start, end - start)), false);
        }

        var lines = SplitLines(file.ReadTail(size), out torn);
        return (lines.Count, AuditChain.LineHash(lines[^1].Span), torn);
    }

    internal static string Describe(ReadOnlySpan<byte> line) =>
        Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)]);
}
