using System.Globalization;
using System.Net;
using System.Text;

namespace Sandbox.Analysis.Sinkhole;

/// <summary>
/// Reads the helper's records (sinkhole.c: "tcp SEQ MONO_NS FAMILY ADDR PORT SRCPORT TOTAL REPLIED HEX",
/// "dns SEQ MONO_NS FAMILY ADDR PORT SRCPORT ANSWERED HEX", "end DROPPED"). Every field is a number,
/// an address the kernel gave or hex, so a line the helper wrote is whole; anything else is counted
/// as unparsed and never shown. Times become seconds after the sample's exec (the trace's clock).
/// </summary>
public static class SinkholeRecords
{
    private const int MaxDnsBytes = 512;

    public static ReportSinkhole Parse(string text, double? start)
    {
        ArgumentNullException.ThrowIfNull(text);
        var connections = new List<(long Seq, ReportSinkholeConnection C)>();
        var dns = new List<(long Seq, ReportSinkholeDns D)>();
        long dropped = 0;
        int unparsed = 0;
        bool ended = false;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ');
            if (f is ["end", var d] && Number(d) is { } n)
            {
                (dropped, ended) = (n, true);
            }
            else if (f.Length == (f[0] == "tcp" ? 10 : 9) && f[0] is "tcp" or "dns" && Number(f[1]) is { } seq && Number(f[2]) is { } ns
                && Endpoint(f[3], f[4]) is { } address && Port(f[5]) is { } port && Port(f[6]) is { } source && Number(f[7]) is { } count
                && (f[0] == "dns" || f[8] is "0" or "1") && Hex(f[^1], f[0] == "tcp" ? Sinkhole.FirstBytes : MaxDnsBytes) is { } bytes)
            {
                double? at = start is { } s ? Math.Round((ns / 1e9) - s, 6) : null;
                if (f[0] == "tcp")
                {
                    connections.Add((seq, new ReportSinkholeConnection(at, "tcp", f[3], address, port, source, count,
                        Convert.ToBase64String(bytes), Text(bytes), count > bytes.Length, f[8] == "1" ? Sinkhole.HttpReply : null)));
                }
                else if (count is 0 or 1)
                {
                    var q = Dns.Decode(bytes);
                    string? answer = count == 1 ? q?.Type switch { "A" => Sinkhole.AnswerIPv4, "AAAA" => Sinkhole.AnswerIPv6, _ => null } : null;
                    dns.Add((seq, new ReportSinkholeDns(at, f[3], address, port, source, q, count == 1, answer, Convert.ToBase64String(bytes))));
                }
                else
                {
                    unparsed++;
                }
            }
            else
            {
                unparsed++;
            }
        }

        return new ReportSinkhole(
            $"every TCP connection (but to the loopback's own addresses) and every DNS question on UDP port 53 was answered inside the guest; A is answered {Sinkhole.AnswerIPv4}, AAAA {Sinkhole.AnswerIPv6}; an HTTP/1.x request gets {Sinkhole.HttpReply}, nothing else is sent on TCP; the first {Sinkhole.FirstBytes} bytes of each connection are kept",
            [.. connections.OrderBy(c => c.Seq).Select(c => c.C)], [.. dns.OrderBy(d => d.Seq).Select(d => d.D)], dropped, ended, unparsed);
    }

    /// <summary>The bytes as text: printable ASCII as is, everything else as \xNN (\n, \r and \t too).</summary>
    public static string Text(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var s = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b is >= 0x20 and < 0x7f and not (byte)'\\')
            {
                s.Append((char)b);
            }
            else
            {
                s.Append(b switch { (byte)'\n' => "\\n", (byte)'\r' => "\\r", (byte)'\t' => "\\t", (byte)'\\' => "\\\\", _ => string.Create(CultureInfo.InvariantCulture, $"\\x{b:x2}") });
            }
        }

        return s.ToString();
    }

    private static long? Number(string s) =>
        s.Length is > 0 and <= 20 && s.All(char.IsAsciiDigit) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;

    private static int? Port(string s) => Number(s) is { } v and <= 65535 ? (int)v : null;

    private static string? Endpoint(string family, string address)
    {
        bool ok = IPAddress.TryParse(address, out var ip) && (family, ip!.AddressFamily) is ("ipv4", System.Net.Sockets.AddressFamily.InterNetwork) or ("ipv6", System.Net.Sockets.AddressFamily.InterNetworkV6);
        return ok ? ip!.ToString() : null;
    }

    private static byte[]? Hex(string s, int max)
    {
        if (s == "-")
        {
            return [];
        }

        if (s.Length % 2 != 0 || s.Length / 2 > max || !s.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        return Convert.FromHexString(s);
    }
}
