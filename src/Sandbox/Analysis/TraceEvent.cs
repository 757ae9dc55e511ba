using System.Globalization;
using System.Text.RegularExpressions;

namespace Sandbox.Analysis;

/// <summary>One tracefs event: who (the pid in the line prefix, which the kernel writes), when, what.</summary>
/// <param name="Name">The event (sched_process_fork, execve, ...) or, for a syscall tracepoint, "sys_NAME" / "sys_NAME -&gt;".</param>
public sealed record TraceEvent(int Pid, double Time, string Name, string Body)
{
    private static readonly Regex FieldPattern = new(@"(?:^| )([a-z_0-9]+)=(\S+)", RegexOptions.CultureInvariant);

    /// <summary>name=value fields of a kprobe event (decimal or 0x-hex numbers); never contains strings the sample chose.</summary>
    public IReadOnlyDictionary<string, string> Fields()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in FieldPattern.Matches(Body))
        {
            d.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
        }

        return d;
    }

    public static long Number(string text)
    {
        if (text.StartsWith("0x", StringComparison.Ordinal))
        {
            return (long)ulong.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        return long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>User memory fetched as <paramref name="count"/> 64-bit words (fields PREFIX0, PREFIX1, ...): its bytes, in memory order; stops at a missing word.</summary>
    public static byte[] Words(IReadOnlyDictionary<string, string> fields, string prefix, int count)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var bytes = new List<byte>(count * 8);
        for (int j = 0; j < count && fields.TryGetValue(prefix + j.ToString(CultureInfo.InvariantCulture), out string? word); j++)
        {
            bytes.AddRange(BitConverter.GetBytes((ulong)Number(word))); // little-endian, as in memory
        }

        return [.. bytes];
    }
}

/// <summary>
/// Parses tracefs's text output as init configured it (record-cmd off, so every prefix is
/// "&lt;...&gt;-PID"; mono clock). The traced events carry numbers and byte arrays only, except the
/// task names (at most 15 bytes) in fork, exit and signal events: a name with a newline splits its
/// line, but 15 bytes cannot hold a whole prefix, so a line without one is a continuation, never an event.
/// </summary>
public static class TraceParser
{
    private static readonly Regex Line = new(
        @"^\s*(?:<\.\.\.>|<idle>)-(\d+)\s+\[\d+\]\s+\S+\s+(\d+\.\d+): (.*)$", RegexOptions.CultureInvariant);

    private static readonly Regex Syscall = new(@"^(sys_[a-z_0-9]+)(\(.*\)| -> (0x[0-9a-f]+))$", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    private static readonly Regex Named = new(@"^([a-z_0-9]+): (.*)$", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    public static (List<TraceEvent> Events, int Unparsed) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var events = new List<TraceEvent>();
        int unparsed = 0;
        (int Pid, double Time, string Text)? current = null;
        foreach (string raw in text.Split('\n'))
        {
            if (raw.StartsWith('#') && current is null)
            {
                continue; // the header
            }

            var m = Line.Match(raw);
            if (m.Success)
            {
                Flush();
                current = (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), m.Groups[3].Value);
            }
            else if (current is { } c)
            {
                current = (c.Pid, c.Time, c.Text + "\n" + raw); // a task name with a newline
            }
            else if (raw.Length > 0)
            {
                unparsed++;
            }
        }

        Flush();
        return (events, unparsed);

        void Flush()
        {
            if (current is not { } c)
            {
                return;
            }

            current = null;
            var s = Syscall.Match(c.Text);
            if (s.Success)
            {
                events.Add(s.Groups[3].Success
                    ? new TraceEvent(c.Pid, c.Time, s.Groups[1].Value + " ->", s.Groups[3].Value)
                    : new TraceEvent(c.Pid, c.Time, s.Groups[1].Value, s.Groups[2].Value));
                return;
            }

            var n = Named.Match(c.Text);
            if (n.Success)
            {
                events.Add(new TraceEvent(c.Pid, c.Time, n.Groups[1].Value, n.Groups[2].Value));
            }
            else
            {
                unparsed++;
            }
        }
    }
}
