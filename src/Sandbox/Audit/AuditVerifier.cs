namespace Sandbox.Audit;

/// <summary>The result of `audit verify`: intact, or the first bad record (1-based line) and why.</summary>
public sealed record AuditVerification(bool Intact, long Records, string Head, long? BadRecord, string? Problem);

/// <summary>
/// Walks the log from the genesis value and reports the first record that is torn, unparsable,
/// out of sequence (deleted or reordered), edited (content no longer matches its own hash) or not
/// chained to the line before it. Removing whole records from the END leaves a shorter but valid
/// chain: compare the reported head with a copy kept elsewhere to detect that.
/// </summary>
public static class AuditVerifier
{
    public static AuditVerification Verify(byte[] content)
    {
        var lines = AuditLog.SplitLines(content, out bool tornTail);
        var seqs = lines.Select(l => AuditChain.TryParse(l.Span, out _)?.Seq).ToList();
        string prev = AuditChain.Genesis;
        for (int i = 0; i < lines.Count; i++)
        {
            long position = i + 1;
            ReadOnlySpan<byte> line = lines[i].Span;
            if (tornTail && i == lines.Count - 1)
            {
                return Bad(position, prev, $"record {position} is truncated: the last line has no end ({line.Length} bytes; a torn write, or bytes appended to the log)");
            }

            if (AuditChain.TryParse(line, out string? error) is not { } record)
            {
                return Bad(position, prev, $"record {position} is not a valid audit record (edited, truncated or inserted): {error}");
            }

            if (record.Seq != position)
            {
                return Bad(position, prev, SequenceProblem(position, record.Seq, seqs));
            }

            if (record.Hash != AuditChain.ContentHash(record))
            {
                return Bad(position, prev, $"record {position} was edited: its content no longer matches its own hash");
            }

            if (record.Prev != prev)
            {
                return Bad(position, prev, $"record {position} does not chain to record {position - 1}: the line before it was altered (its hash changed)");
            }

            prev = AuditChain.LineHash(line);
        }

        return new AuditVerification(true, lines.Count, prev, null, null);
    }

    private static string SequenceProblem(long position, long seq, List<long?> seqs)
    {
        if (seq > position)
        {
            bool later = seqs.Skip((int)position).Contains(position);
            return later
                ? $"record {position} is out of order: record {seq} appears at its place (records were reordered)"
                : $"record {position} is missing: the next line holds record {seq} (records were deleted)";
        }

        return $"record {position} is out of order: it holds record {seq}, which belongs earlier (records were reordered or duplicated)";
    }

    private static AuditVerification Bad(long position, string head, string problem) => new(false, position - 1, head, position, problem);
}
