namespace Sandbox.Audit;

/// <summary>The result of `audit verify`: intact, or the first bad record and why.</summary>
/// <param name="Records">Records checked (and found intact, when not <paramref name="Intact"/>: those before the bad one).</param>
/// <param name="Head">SHA-256 of the last intact line: what to keep elsewhere and pass as --head next time.</param>
/// <param name="BadRecord">The bad record's number (its place in the chain), or null.</param>
/// <param name="Keyed">Whether every checked record's MAC was verified with the audit key.</param>
/// <param name="HeadRecord">With --head: the record whose line hash is the remembered head.</param>
public sealed record AuditVerification(bool Intact, long Records, string Head, long? BadRecord, string? Problem)
{
    public bool Keyed { get; init; }

    public long? HeadRecord { get; init; }

    /// <summary>The record the check started after (--since-head), or 0 from the genesis.</summary>
    public long StartedAfter { get; init; }
}

/// <summary>What to verify against beyond the chain itself.</summary>
/// <param name="Key">Check every record's HMAC: a chain rebuilt without the key fails.</param>
/// <param name="Head">A head kept elsewhere: it must be the hash of a line in the chain, so the records up to it were neither rewritten nor removed.</param>
/// <param name="SinceHead">Start after this head instead of the genesis (older segments archived away), and require it.</param>
public sealed record VerifyOptions(AuditKey? Key = null, string? Head = null, string? SinceHead = null);

/// <summary>
/// Walks the log (all segments, oldest first) from the genesis value, or from a remembered head, and
/// reports the first record that is torn, unparsable, out of sequence (deleted or reordered), edited
/// (content no longer matches its own hash), not chained to the line before it, or — with a key —
/// without a valid MAC. An unkeyed chain can be rebuilt from scratch by whoever can write it, and
/// removing records from the END leaves a shorter valid chain: a key, and a head kept elsewhere
/// (--head), are what detect those.
/// </summary>
public static class AuditVerifier
{
    public static AuditVerification Verify(byte[] content) => Verify(content, new VerifyOptions());

    public static AuditVerification Verify(byte[] content, VerifyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lines = AuditLog.SplitLines(content, out bool tornTail);
        var parsed = lines.Select(l => AuditChain.TryParse(l.Span, out _)).ToList();
        var seqs = parsed.Select(p => p?.Seq).ToList();
        var hashes = lines.Select(l => AuditChain.LineHash(l.Span)).ToList();

        int start = 0;
        string prev = AuditChain.Genesis;
        long expected = 1;
        if (options.SinceHead is { } since)
        {
            int at = hashes.IndexOf(since);
            if (at >= 0 && parsed[at] is { } anchor)
            {
                (start, prev, expected) = (at + 1, since, anchor.Seq + 1);
            }
            else if (parsed.Count > 0 && parsed[0] is { } first && first.Prev == since)
            {
                (start, prev, expected) = (0, since, first.Seq); // the head is the last line of an archived segment
            }
            else
            {
                return new AuditVerification(false, 0, since, null,
                    $"the remembered head sha256 {since} is not in the log: the records up to it were rewritten or removed")
                { Keyed = options.Key is not null };
            }
        }

        long startedAfter = expected - 1;
        for (int i = start; i < lines.Count; i++)
        {
            long position = expected + (i - start);
            ReadOnlySpan<byte> line = lines[i].Span;
            string? problem = null;
            if (tornTail && i == lines.Count - 1)
            {
                problem = $"record {position} is truncated: the last line has no end ({line.Length} bytes; a torn write, or bytes appended to the log)";
            }
            else if (parsed[i] is not { } record)
            {
                AuditChain.TryParse(line, out string? error);
                problem = $"record {position} is not a valid audit record (edited, truncated or inserted): {error}";
            }
            else if (record.Seq != position)
            {
                problem = SequenceProblem(position, record.Seq, seqs, i);
            }
            else if (record.Hash != AuditChain.ContentHash(record))
            {
                problem = $"record {position} was edited: its content no longer matches its own hash";
            }
            else if (record.Prev != prev)
            {
                problem = i == start && options.SinceHead is null && start == 0 && position == 1
                    ? $"record {position} does not start from the genesis: earlier records were removed (if segments were archived, verify with --since-head)"
                    : $"record {position} does not chain to record {position - 1}: the line before it was altered (its hash changed)";
            }
            else if (options.Key is { } key && !key.Verify(record))
            {
                problem = record.Mac is null
                    ? $"record {position} has no MAC, but the log is verified with the audit key {key.Path}: it was written unkeyed or rewritten without the key"
                    : $"record {position} has a MAC that the audit key {key.Path} does not produce: it was rewritten without the key (or with another key)";
            }

            if (problem is not null)
            {
                return new AuditVerification(false, position - 1 - startedAfter, prev, position, problem) { Keyed = options.Key is not null, StartedAfter = startedAfter };
            }

            prev = hashes[i];
        }

        long count = lines.Count - start;
        long? headRecord = null;
        if (options.Head is { } head)
        {
            int at = hashes.IndexOf(head);
            if (at < 0 && head != options.SinceHead)
            {
                return new AuditVerification(false, count, prev, null,
                    $"the remembered head sha256 {head} is not in the log: the records up to it were rewritten or removed (the chain itself is consistent, so it was rebuilt)")
                { Keyed = options.Key is not null, StartedAfter = startedAfter };
            }

            headRecord = at >= 0 ? parsed[at]?.Seq : startedAfter;
        }

        return new AuditVerification(true, count, prev, null, null) { Keyed = options.Key is not null, HeadRecord = headRecord, StartedAfter = startedAfter };
    }

    private static string SequenceProblem(long position, long seq, List<long?> seqs, int index)
    {
        if (seq > position)
        {
            bool later = seqs.Skip(index + 1).Contains(position);
            return later
                ? $"record {position} is out of order: record {seq} appears at its place (records were reordered)"
                : $"record {position} is missing: the next line holds record {seq} (records were deleted)";
        }

        return $"record {position} is out of order: it holds record {seq}, which belongs earlier (records were reordered or duplicated)";
    }
}
