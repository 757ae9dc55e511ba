using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Sandbox.Analysis;

/// <summary>
/// One connect, bind or sendto as init's kprobes traced it: the sockaddr's family, port and address
/// (IPv4, IPv6, a unix path or abstract name), the syscall's result, and a DNS question sent to port 53.
/// </summary>
public static class NetworkAttempt
{
    public static ReportNetwork From(double at, int pid, string call, IReadOnlyDictionary<string, string> f, long? result)
    {
        string? family = null, address = null;
        int? port = null;
        bool hasAddress = f.TryGetValue("ap", out string? ap) && TraceEvent.Number(ap) != 0 && f.ContainsKey("fam");
        if (hasAddress)
        {
            int fam = (int)TraceEvent.Number(f["fam"]);
            ushort rawPort = (ushort)TraceEvent.Number(f["port"]);
            switch (fam)
            {
                case 2:
                    family = "ipv4";
                    uint a4 = (uint)TraceEvent.Number(f["a4"]);
                    address = string.Join('.', BitConverter.GetBytes(a4).Select(x => x.ToString(CultureInfo.InvariantCulture))); // bytes as in memory
                    port = BinaryPrimitives.ReverseEndianness(rawPort);
                    break;
                case 10:
                    family = "ipv6";
                    byte[] a6 = TraceEvent.Words(f, "a6_", 2);
                    address = a6.Length == 16 ? new System.Net.IPAddress(a6).ToString() : null;
                    port = BinaryPrimitives.ReverseEndianness(rawPort);
                    break;
                case 1:
                    family = "unix";
                    address = UnixPath(TraceEvent.Words(f, "un", 8), f.TryGetValue("alen", out string? alen) ? TraceEvent.Number(alen) : null);
                    break;
                default:
                    family = string.Create(CultureInfo.InvariantCulture, $"family {fam}");
                    break;
            }
        }

        ReportDns? dns = call == "sendto" && port == 53 ? Dns.Decode(TraceEvent.Words(f, "d", 8)) : null;
        return new ReportNetwork(at, pid, call, family, address, port, result, result is { } r && r < 0 ? Errno.Name(r) : null, dns);
    }

    /// <summary>
    /// A unix socket's address as `ss` shows it: the path up to its NUL, or an abstract name (a leading
    /// NUL, then exactly addrlen - 2 bytes) as "@" and the name. Only the first 64 bytes are traced.
    /// </summary>
    public static string? UnixPath(byte[] sunPath, long? addrlen)
    {
        int length = addrlen is { } l ? (int)Math.Clamp(l - 2, 0, sunPath.Length) : sunPath.Length;
        if (length == 0)
        {
            return null; // unnamed (an autobind, or an address too short to hold a name)
        }

        if (sunPath[0] == 0)
        {
            return "@" + Encoding.UTF8.GetString(sunPath, 1, length - 1);
        }

        int nul = Array.IndexOf(sunPath, (byte)0, 0, length);
        return Encoding.UTF8.GetString(sunPath, 0, nul < 0 ? length : nul);
    }
}
