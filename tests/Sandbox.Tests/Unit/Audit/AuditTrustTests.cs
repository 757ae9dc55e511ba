using System.Text;
using System.Text.Json;
using Sandbox.Audit;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Audit;

/// <summary>
/// An audit trail whoever can write the state root cannot silently rewrite: a chain rebuilt from
/// scratch (every record rehashed, as an attacker without the key would) is consistent on its own,
/// but fails against the key and against a head remembered elsewhere. Rotation keeps one chain.
/// </summary>
public sealed class AuditTrustTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sandbox-audit-trust-").FullName;

    private StateRoot Root => new(Path.Combine(dir, "root"));

    private string KeyFile(string name = "audit.key", byte fill = 7)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, [.. Enumerable.Repeat(fill, 32)]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        return path;
    }

    private AuditLog Log(AuditKey? key) => new(Path.Combine(Root.Path, "audit", "audit.log"), () => key);

    private static AuditRecord Record(long seq, string prev, string image, string outcome = "exited") => new()
    {
        Seq = seq,
        Prev = prev,
        Time = $"2026-12-0{1 + (seq % 5)}T10:00:00.000Z",
        Image = new AuditImage(image, null),
        Rule = new AuditRule(image == "busybox" ? "trusted-to-container" : "untrusted-to-vm", "p.yaml", 1),
        Outcome = outcome,
        ExitCode = 0,
    };

    private static void Fill(AuditLog log, int n, int from = 0)
    {
        for (int i = from; i < from + n; i++)
        {
            log.Append((seq, prev) => Record(seq, prev, i % 2 == 0 ? "busybox" : "alpine"));
        }
    }

    // What an attacker without the key does: edit a record, then recompute every hash and prev from the genesis.
    private static byte[] Rebuild(byte[] content, Func<AuditRecord, AuditRecord> edit)
    {
        var output = new List<byte>();
        string prev = AuditChain.Genesis;
        foreach (var line in AuditLog.SplitLines(content, out _))
        {
            AuditRecord r = edit(AuditChain.TryParse(line.Span, out _)!) with { Prev = prev, Hash = null };
            byte[] sealedLine = AuditChain.Seal(r with { Mac = null });
            output.AddRange(sealedLine);
            output.Add((byte)'\n');
            prev = AuditChain.LineHash(sealedLine);
        }

        return [.. output];
    }

    [Fact]
    public void A_keyed_log_verifies_with_its_key_and_every_record_carries_a_mac()
    {
        AuditKey key = AuditKey.Load(KeyFile(), Root);
        var log = Log(key);
        Fill(log, 4);
        var v = AuditVerifier.Verify(log.ReadAll(), new VerifyOptions(key));
        Assert.True(v.Intact, v.Problem);
        Assert.True(v.Keyed);
        Assert.All(AuditLog.SplitLines(log.ReadAll(), out _), l => Assert.Matches("^[0-9a-f]{64}$", AuditChain.TryParse(l.Span, out _)!.Mac));
    }

    [Fact]
    public void A_chain_rebuilt_without_the_key_is_detected_with_the_key_and_with_a_remembered_head()
    {
        AuditKey key = AuditKey.Load(KeyFile(), Root);
        var log = Log(key);
        Fill(log, 6);
        string remembered = AuditVerifier.Verify(log.ReadAll()).Head;

        // Hide that record 3 ran alpine, and rebuild the chain so it is consistent again.
        byte[] forged = Rebuild(log.ReadAll(), r => r.Seq == 3 ? r with { Image = new AuditImage("busybox", null) } : r);
        Assert.True(AuditVerifier.Verify(forged).Intact); // on its own, an unkeyed chain cannot tell

        var withKey = AuditVerifier.Verify(forged, new VerifyOptions(key));
        Assert.False(withKey.Intact);
        Assert.Equal(1, withKey.BadRecord); // the attacker dropped every MAC (or could not recompute them)
        Assert.Contains("has no MAC", withKey.Problem, StringComparison.Ordinal);

        var withHead = AuditVerifier.Verify(forged, new VerifyOptions(Head: remembered));
        Assert.False(withHead.Intact);
        Assert.Contains($"remembered head sha256 {remembered} is not in the log", withHead.Problem, StringComparison.Ordinal);

        // Keeping the old MACs does not help either: they no longer match the edited records.
        byte[] keptMacs = RebuildKeepingMacs(log.ReadAll(), 3);
        var v = AuditVerifier.Verify(keptMacs, new VerifyOptions(key));
        Assert.False(v.Intact);
        Assert.Equal(3, v.BadRecord);
        Assert.Contains("MAC that the audit key", v.Problem, StringComparison.Ordinal);
    }

    private static byte[] RebuildKeepingMacs(byte[] content, long edited)
    {
        var output = new List<byte>();
        string prev = AuditChain.Genesis;
        foreach (var line in AuditLog.SplitLines(content, out _))
        {
            AuditRecord r = AuditChain.TryParse(line.Span, out _)!;
            r = (r.Seq == edited ? r with { ExitCode = 1 } : r) with { Prev = prev, Hash = null };
            r = r with { Hash = AuditChain.ContentHash(r) };
            byte[] sealedLine = JsonSerializer.SerializeToUtf8Bytes(r, AuditJsonContext.Default.AuditRecord);
            output.AddRange(sealedLine);
            output.Add((byte)'\n');
            prev = AuditChain.LineHash(sealedLine);
        }

        return [.. output];
    }

    [Fact]
    public void A_wrong_key_fails_and_an_untampered_log_with_a_remembered_head_passes()
    {
        var log = Log(AuditKey.Load(KeyFile(), Root));
        Fill(log, 3);
        string head = AuditVerifier.Verify(log.ReadAll()).Head;
        Fill(log, 2, from: 3);
        var v = AuditVerifier.Verify(log.ReadAll(), new VerifyOptions(AuditKey.Load(KeyFile(), Root), Head: head));
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(3, v.HeadRecord);
        var wrong = AuditVerifier.Verify(log.ReadAll(), new VerifyOptions(AuditKey.Load(KeyFile("other.key", 9), Root)));
        Assert.False(wrong.Intact);
        Assert.Equal(1, wrong.BadRecord);
    }

    [Fact]
    public void Removing_records_from_the_end_is_detected_only_against_a_remembered_head()
    {
        var log = Log(null);
        Fill(log, 5);
        string head = AuditVerifier.Verify(log.ReadAll()).Head;
        var lines = AuditLog.SplitLines(log.ReadAll(), out _);
        byte[] truncated = [.. lines.Take(4).SelectMany(l => l.ToArray().Append((byte)'\n'))];
        Assert.True(AuditVerifier.Verify(truncated).Intact);
        Assert.False(AuditVerifier.Verify(truncated, new VerifyOptions(Head: head)).Intact);
    }

    [Fact]
    public void Rotation_starts_a_segment_that_chains_to_the_previous_head()
    {
        var log = Log(AuditKey.Load(KeyFile(), Root));
        Fill(log, 3);
        var rotated = log.Rotate()!.Value;
        Assert.EndsWith("audit.000001.log", rotated.Segment, StringComparison.Ordinal);
        Assert.Equal(3, rotated.Records);
        Assert.False(File.Exists(log.Path));
        Fill(log, 2, from: 3);
        AuditRecord first = AuditChain.TryParse(AuditLog.SplitLines(log.ReadAll(), out _)[0].Span, out _)!;
        Assert.Equal((4L, rotated.Head), (first.Seq, first.Prev));

        var all = AuditVerifier.Verify(log.ReadAllSegments(), new VerifyOptions(AuditKey.Load(KeyFile(), Root)));
        Assert.True(all.Intact, all.Problem);
        Assert.Equal(5, all.Records);

        // Archive the old segment away: the live log alone verifies from the head the rotation printed.
        File.Delete(rotated.Segment);
        Assert.False(AuditVerifier.Verify(log.ReadAllSegments()).Intact);
        var since = AuditVerifier.Verify(log.ReadAllSegments(), new VerifyOptions(SinceHead: rotated.Head));
        Assert.True(since.Intact, since.Problem);
        Assert.Equal((2L, 3L), (since.Records, since.StartedAfter));
        Assert.False(AuditVerifier.Verify(log.ReadAllSegments(), new VerifyOptions(SinceHead: new string('a', 64))).Intact);
    }

    [Fact]
    public async Task Rotating_while_launchers_append_keeps_one_unbroken_chain()
    {
        AuditKey key = AuditKey.Load(KeyFile(), Root);
        var log = Log(key);
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 25; i++)
            {
                // Each writer its own AuditLog, as each launcher process has.
                Log(key).Append((seq, prev) => Record(seq, prev, $"writer-{w}"));
            }
        }, TestContext.Current.CancellationToken)).ToList();
        var rotations = Task.Run(async () =>
        {
            for (int i = 0; i < 6; i++)
            {
                await Task.Delay(5, TestContext.Current.CancellationToken);
                Log(null).Rotate();
            }
        }, TestContext.Current.CancellationToken);
        await Task.WhenAll([.. writers, rotations]);

        Assert.NotEmpty(log.Segments());
        var v = AuditVerifier.Verify(log.ReadAllSegments(), new VerifyOptions(key));
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(100, v.Records);
    }

    [Fact]
    public void An_empty_log_does_not_rotate() => Assert.Null(Log(null).Rotate());

    [Fact]
    public void Export_output_parses_as_json_lines_and_as_an_otlp_logs_request()
    {
        var log = Log(null);
        Fill(log, 3);
        var lines = AuditLog.SplitLines(log.ReadAll(), out _);
        string jsonl = Encoding.UTF8.GetString(AuditExport.JsonLines(lines));
        Assert.Equal(log.ReadAll(), Encoding.UTF8.GetBytes(jsonl)); // byte for byte: the receiver can verify the chain
        Assert.True(AuditVerifier.Verify(Encoding.UTF8.GetBytes(jsonl)).Intact);

        var records = lines.Select(l => (AuditChain.TryParse(l.Span, out _)!, l)).ToList();
        using var otlp = JsonDocument.Parse(AuditExport.Otlp(records, "host-1"));
        JsonElement logRecords = otlp.RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0].GetProperty("logRecords");
        Assert.Equal(3, logRecords.GetArrayLength());
        JsonElement second = logRecords[1];
        Assert.Equal(Encoding.UTF8.GetString(lines[1].Span), second.GetProperty("body").GetProperty("stringValue").GetString());
        Assert.Equal(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1_000_000,
            long.Parse(second.GetProperty("timeUnixNano").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(second.GetProperty("attributes").EnumerateArray(),
            a => a.GetProperty("key").GetString() == "sandbox.audit.seq" && a.GetProperty("value").GetProperty("intValue").GetString() == "2");
    }

    [Fact]
    public void Filters_select_by_time_rule_outcome_and_image()
    {
        var records = Enumerable.Range(1, 6).Select(i => Record(i, "", i % 2 == 0 ? "busybox" : "alpine", i == 6 ? "refused" : "exited")).ToList();
        Assert.Equal([2L, 4L, 6L], records.Where(new AuditFilter(Image: "busy*").Matches).Select(r => r.Seq));
        Assert.Equal([6L], records.Where(new AuditFilter(Outcome: "refused").Matches).Select(r => r.Seq));
        Assert.Equal([1L, 3L, 5L], records.Where(new AuditFilter(Rule: "untrusted-to-vm").Matches).Select(r => r.Seq));
        // Times are 2026-12-0{1 + seq % 5}: since the 3rd (inclusive) until the 5th (exclusive) is seq 2 and 3.
        var window = new AuditFilter(Since: AuditFilter.ParseTime("2026-12-03"), Until: AuditFilter.ParseTime("2026-12-05"));
        Assert.Equal([2L, 3L], records.Where(window.Matches).Select(r => r.Seq));
    }

    [Fact]
    public void A_key_file_others_can_read_or_inside_the_state_root_is_refused()
    {
        string loose = KeyFile("loose.key");
        File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        Assert.Contains("readable or writable by others", Assert.Throws<SandboxException>(() => AuditKey.Load(loose, Root)).Message, StringComparison.Ordinal);

        Directory.CreateDirectory(Root.Path);
        string inside = Path.Combine(Root.Path, "audit.key");
        File.Copy(KeyFile(), inside);
        Assert.Contains("inside the state root", Assert.Throws<SandboxException>(() => AuditKey.Load(inside, Root)).Message, StringComparison.Ordinal);

        string link = Path.Combine(dir, "link.key");
        File.CreateSymbolicLink(link, KeyFile());
        Assert.Contains("symbolic link", Assert.Throws<SandboxException>(() => AuditKey.Load(link, Root)).Message, StringComparison.Ordinal);

        string shortKey = Path.Combine(dir, "short.key");
        File.WriteAllBytes(shortKey, [1, 2, 3]);
        File.SetUnixFileMode(shortKey, UnixFileMode.UserRead);
        Assert.Contains("holds 3 bytes", Assert.Throws<SandboxException>(() => AuditKey.Load(shortKey, Root)).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<SandboxException>(() => AuditKey.Load(Path.Combine(dir, "none"), Root)).Message, StringComparison.Ordinal);

        string longKey = Path.Combine(dir, "long.key");
        File.WriteAllBytes(longKey, new byte[5000]);
        File.SetUnixFileMode(longKey, UnixFileMode.UserRead);
        Assert.Contains("holds more than 1024 bytes", Assert.Throws<SandboxException>(() => AuditKey.Load(longKey, Root)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_path_that_is_a_directory_or_a_fifo_is_refused_naming_it_without_blocking()
    {
        string directory = Directory.CreateDirectory(Path.Combine(dir, "key-dir")).FullName;
        Assert.Contains($"audit key {directory} is a directory, not a key file",
            Assert.Throws<SandboxException>(() => AuditKey.Load(directory, Root)).Message, StringComparison.Ordinal);

        string fifo = Path.Combine(dir, "key-fifo");
        Tool.Run("mkfifo", "-m", "0600", fifo); // nobody writes it: reading would block forever
        Assert.Contains("is a FIFO (named pipe), not a key file", Assert.Throws<SandboxException>(() => AuditKey.Load(fifo, Root)).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
