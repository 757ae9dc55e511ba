using System.Text;
using Sandbox.Audit;

namespace Sandbox.Tests.Unit.Audit;

/// <summary>The audit log is tamper-evident: every kind of tampering is detected and the first bad record named.</summary>
public sealed class AuditChainTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sandbox-audit-").FullName;

    private AuditLog NewLog(int records)
    {
        var log = new AuditLog(Path.Combine(dir, "audit", "audit.log"));
        for (int i = 0; i < records; i++)
        {
            log.Append((seq, prev) => Record(seq, prev, $"echo {i}"));
        }

        return log;
    }

    private static AuditRecord Record(long seq, string prev, string command) => new()
    {
        Seq = seq,
        Prev = prev,
        Time = "2026-11-26T12:00:00.000Z",
        Command = ["sh", "-c", command],
        Image = new AuditImage("busybox", null),
        Outcome = "exited",
        ExitCode = 0,
    };

    // Read like the CLI does (shared flock, blocking): .NET's File APIs take a non-blocking flock and
    // fail while a process forked by a concurrent test still holds an inherited descriptor of the log.
    private static List<string> Lines(AuditLog log) => [.. Encoding.UTF8.GetString(log.ReadAll()).Split('\n')[..^1]];

    // Tampering by rename, so no .NET file lock is involved (see Lines).
    private static void Rewrite(AuditLog log, byte[] bytes)
    {
        string temp = log.Path + ".tamper";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, log.Path, overwrite: true);
    }

    private static AuditVerification Verify(AuditLog log) => AuditVerifier.Verify(log.ReadAll());

    [Fact]
    public void An_untouched_log_verifies_and_chains_from_genesis()
    {
        var log = NewLog(5);
        var v = Verify(log);
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(5, v.Records);
        var lines = Lines(log);
        Assert.Contains($"\"prev\":\"{AuditChain.Genesis}\"", lines[0], StringComparison.Ordinal);
        Assert.Equal(AuditChain.LineHash(Encoding.UTF8.GetBytes(lines[4])), v.Head);
        Assert.Equal(Convert.ToString(UnixFileMode.UserRead | UnixFileMode.UserWrite), Convert.ToString(File.GetUnixFileMode(log.Path)));
    }

    [Fact]
    public void An_empty_or_absent_log_is_intact() => Assert.True(Verify(new AuditLog(Path.Combine(dir, "none.log"))).Intact);

    [Fact]
    public void Editing_one_byte_is_detected_at_that_record()
    {
        var log = NewLog(5);
        var lines = Lines(log);
        lines[2] = lines[2].Replace("echo 2", "echo X", StringComparison.Ordinal);
        Rewrite(log, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        var v = Verify(log);
        Assert.Equal(3, v.BadRecord);
        Assert.Contains("record 3 was edited", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Editing_the_last_record_is_detected_too()
    {
        var log = NewLog(3);
        byte[] bytes = log.ReadAll();
        int at = Encoding.UTF8.GetString(bytes).LastIndexOf("\"exitCode\":0", StringComparison.Ordinal) + "\"exitCode\":".Length;
        bytes[at] = (byte)'1';
        Rewrite(log, bytes);
        Assert.Equal(3, Verify(log).BadRecord);
    }

    [Fact]
    public void Reformatting_a_record_breaks_the_next_records_link()
    {
        var log = NewLog(4);
        var lines = Lines(log);
        lines[1] = lines[1].Replace("\"seq\":2", "\"seq\": 2", StringComparison.Ordinal); // same content, other bytes
        Rewrite(log, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        var v = Verify(log);
        Assert.Equal(3, v.BadRecord);
        Assert.Contains("record 3 does not chain to record 2", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Dropping_a_line_is_detected_as_a_deletion()
    {
        var log = NewLog(5);
        var lines = Lines(log);
        lines.RemoveAt(1);
        Rewrite(log, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        var v = Verify(log);
        Assert.Equal(2, v.BadRecord);
        Assert.Contains("record 2 is missing", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Swapping_two_lines_is_detected_as_a_reordering()
    {
        var log = NewLog(5);
        var lines = Lines(log);
        (lines[2], lines[3]) = (lines[3], lines[2]);
        Rewrite(log, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        var v = Verify(log);
        Assert.Equal(3, v.BadRecord);
        Assert.Contains("out of order", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncating_mid_line_is_detected_as_a_torn_record()
    {
        var log = NewLog(4);
        byte[] bytes = log.ReadAll();
        Rewrite(log, bytes[..^20]);
        var v = Verify(log);
        Assert.Equal(4, v.BadRecord);
        Assert.Contains("record 4 is truncated", v.Problem, StringComparison.Ordinal);
        Assert.Equal(3, v.Records);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("garbage\n")]
    [InlineData("{\"v\":1}\n")]
    public void Appended_garbage_is_detected(string garbage)
    {
        var log = NewLog(3);
        Rewrite(log, [.. log.ReadAll(), .. Encoding.UTF8.GetBytes(garbage)]);
        var v = Verify(log);
        Assert.False(v.Intact);
        Assert.Equal(4, v.BadRecord);
    }

    [Fact]
    public void A_forged_record_with_a_wrong_chain_is_detected()
    {
        var log = NewLog(2);
        Rewrite(log, [.. log.ReadAll(), .. AuditChain.Seal(Record(3, AuditChain.Genesis, "forged")), (byte)'\n']);
        var v = Verify(log);
        Assert.Equal(3, v.BadRecord);
        Assert.Contains("does not chain", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_append_after_a_torn_line_keeps_the_torn_record_visible()
    {
        var log = NewLog(3);
        Rewrite(log, log.ReadAll()[..^10]); // a crash mid-write of record 3
        log.Append((seq, prev) => Record(seq, prev, "after the crash"));
        var lines = Lines(log);
        Assert.Equal(4, lines.Count);
        Assert.Contains("\"seq\":4", lines[3], StringComparison.Ordinal);
        var v = Verify(log);
        Assert.Equal(3, v.BadRecord);
        Assert.Contains("record 3 is not a valid audit record", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Concurrent_appends_never_interleave_or_break_the_chain()
    {
        var log = NewLog(0);
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            new AuditLog(log.Path).Append((seq, prev) => Record(seq, prev, new string('x', 5000) + i)));
        var v = Verify(log);
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(64, v.Records);
    }

    // An append reads only the end of the log, widening the window until it holds the whole last line.
    [Theory]
    [InlineData(100)] // shorter than the first window
    [InlineData(50_000)] // wider than the first window: the window grows
    [InlineData(2_000_000)] // wider than the largest window: a full scan
    public void An_append_chains_to_a_last_record_of_any_length(int commandLength)
    {
        var log = NewLog(3);
        log.Append((seq, prev) => Record(seq, prev, new string('y', commandLength)));
        log.Append((seq, prev) => Record(seq, prev, "after"));
        var v = Verify(log);
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(5, v.Records);
        Assert.Contains("\"seq\":5", Lines(log)[4], StringComparison.Ordinal);
    }

    [Fact]
    public void An_append_to_a_log_larger_than_the_read_window_continues_its_numbering()
    {
        var log = NewLog(0);
        for (int i = 0; i < 600; i++) // ~2.4 MB: more than any window
        {
            log.Append((seq, prev) => Record(seq, prev, new string('z', 4000)));
        }

        log.Append((seq, prev) => Record(seq, prev, "last"));
        var v = Verify(log);
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(601, v.Records);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
