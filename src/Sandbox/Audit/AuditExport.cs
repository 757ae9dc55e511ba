using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sandbox.Audit;

/// <summary>
/// `audit export` for a SIEM. jsonl: the stored lines byte for byte (hash, prev and MAC included, so
/// the receiver can check the chain itself). otlp: one OTLP/JSON logs request (the body of
/// POST /v1/logs), a log record per audit record whose body is the stored line and whose attributes
/// name the searchable fields.
/// </summary>
public static class AuditExport
{
    public static byte[] JsonLines(IEnumerable<ReadOnlyMemory<byte>> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        using var buffer = new MemoryStream();
        foreach (ReadOnlyMemory<byte> line in lines)
        {
            buffer.Write(line.Span);
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    public static byte[] Otlp(IEnumerable<(AuditRecord Record, ReadOnlyMemory<byte> Line)> records, string hostName)
    {
        ArgumentNullException.ThrowIfNull(records);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("resourceLogs");
            w.WriteStartObject();
            w.WriteStartObject("resource");
            w.WriteStartArray("attributes");
            Attribute(w, "service.name", "sandbox");
            Attribute(w, "host.name", hostName);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("scopeLogs");
            w.WriteStartObject();
            w.WriteStartObject("scope");
            w.WriteString("name", "sandbox.audit");
            w.WriteEndObject();
            w.WriteStartArray("logRecords");
            foreach ((AuditRecord r, ReadOnlyMemory<byte> line) in records)
            {
                LogRecord(w, r, line.Span);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void LogRecord(Utf8JsonWriter w, AuditRecord r, ReadOnlySpan<byte> line)
    {
        w.WriteStartObject();
        long nanos = AuditFilter.ParseTime(r.Time) is { } t ? (t.ToUnixTimeMilliseconds() * 1_000_000) : 0;
        w.WriteString("timeUnixNano", nanos.ToString(CultureInfo.InvariantCulture)); // uint64 as a string in OTLP/JSON
        bool bad = r.Outcome is "refused" or "failed" or "timeout";
        w.WriteNumber("severityNumber", bad ? 13 : 9); // WARN, INFO
        w.WriteString("severityText", bad ? "WARN" : "INFO");
        w.WriteStartObject("body");
        w.WriteString("stringValue", Encoding.UTF8.GetString(line));
        w.WriteEndObject();
        w.WriteStartArray("attributes");
        Attribute(w, "sandbox.audit.seq", r.Seq);
        Attribute(w, "sandbox.audit.outcome", r.Outcome);
        Attribute(w, "sandbox.audit.hash", r.Hash);
        Attribute(w, "sandbox.audit.prev", r.Prev);
        Attribute(w, "sandbox.id", r.Sandbox);
        Attribute(w, "sandbox.image", r.Image.Reference);
        Attribute(w, "sandbox.image.digest", r.Image.Digest);
        Attribute(w, "sandbox.rule", r.Rule?.Name);
        Attribute(w, "sandbox.backend", r.Decision?.Backend);
        Attribute(w, "sandbox.policy.sha256", r.Policy?.Sha256);
        Attribute(w, "sandbox.trust", r.Facts?.Trust);
        Attribute(w, "user.id", r.Uid);
        if (r.ExitCode is { } code)
        {
            Attribute(w, "sandbox.exit_code", code);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Attribute(Utf8JsonWriter w, string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("key", key);
        w.WriteStartObject("value");
        w.WriteString("stringValue", value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Attribute(Utf8JsonWriter w, string key, long value)
    {
        w.WriteStartObject();
        w.WriteString("key", key);
        w.WriteStartObject("value");
        w.WriteString("intValue", value.ToString(CultureInfo.InvariantCulture)); // int64 as a string in OTLP/JSON
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
