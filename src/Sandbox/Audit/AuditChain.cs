using System.Text.Json;
using Sandbox.Digests;

namespace Sandbox.Audit;

/// <summary>The hash chain: how a record is sealed into its line, and how a line is checked.</summary>
public static class AuditChain
{
    /// <summary>What the first record holds as <see cref="AuditRecord.Prev"/>.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>SHA-256 of one line's exact bytes, without its trailing newline.</summary>
    public static string LineHash(ReadOnlySpan<byte> line) => Convert.ToHexStringLower(SmallSha256.HashData(line));

    /// <summary>The line (no newline) for <paramref name="record"/>, with its MAC (when keyed) and its own hash filled in.</summary>
    public static byte[] Seal(AuditRecord record, AuditKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        record = record with { Mac = key?.Mac(record) };
        var sealedRecord = record with { Hash = ContentHash(record) };
        return JsonSerializer.SerializeToUtf8Bytes(sealedRecord, AuditJsonContext.Default.AuditRecord);
    }

    /// <summary>SHA-256 of the record serialized without its hash.</summary>
    public static string ContentHash(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(record with { Hash = null }, AuditJsonContext.Default.AuditRecord);
        return Convert.ToHexStringLower(SmallSha256.HashData(body));
    }

    /// <summary>Parses one line strictly; null when it is not a record of this schema.</summary>
    public static AuditRecord? TryParse(ReadOnlySpan<byte> line, out string? error)
    {
        try
        {
            AuditRecord? r = JsonSerializer.Deserialize(line, AuditJsonContext.Default.AuditRecord);
            error = r is null ? "the line is 'null'" : null;
            return r;
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
    }
}
