using System.Text;
using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// `sandbox analyze --network sinkhole` end to end (real microVMs, TCG): the sample (tests/samples/network.c,
/// built static at test time) gets DNS answers and TCP peers from the guest's own sinkhole, which
/// records what it asked and sent; the sample cannot forge those records. Every address the sample
/// uses is a documentation address (203.0.113.0/24, 2001:db8::/32): in the guest they are all local
/// to the sinkhole's network namespace, which has no device but lo, in a VM that has no network
/// device at all (QemuArgvTests pins that argv), so no test packet ever leaves the guest.
/// </summary>
public sealed class AnalyzeSinkholeTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-analyze-sinkhole-").FullName;

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private (CliRun Run, JsonElement Report, string Out) Analyze(string mode, string network, string timeout = "60s")
    {
        Require.Tool("gcc");
        string outDir = Path.Combine(_work, $"{mode}-{network}");
        var run = _cli.Run(["analyze", "--timeout", timeout, "--network", network, "--arg", mode, "--out", outDir, AnalysisSample.NetworkPath], stdin: null, TimeSpan.FromMinutes(4));
        Assert.True(run.ExitCode == 0, run.ToString());
        return (run, JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json"))).RootElement, outDir);
    }

    private static List<JsonElement> All(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray()];

    private static string FirstBytes(JsonElement c) => Encoding.Latin1.GetString(Convert.FromBase64String(c.GetProperty("firstBytesBase64").GetString()!));

    [Fact]
    public void The_sinkhole_answers_DNS_and_records_every_connection_with_its_original_destination_and_first_bytes()
    {
        var (run, r, outDir) = Analyze("sinkhole", "sinkhole");
        Assert.Equal(1, r.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(7, r.GetProperty("run").GetProperty("exitCode").GetInt32());
        Assert.Equal("sinkhole", r.GetProperty("run").GetProperty("network").GetString());
        string stdout = File.ReadAllText(Path.Combine(outDir, "stdout"));

        // The guest's network as the sample sees it: a loopback and nothing else.
        Assert.Equal(["interface lo"], stdout.Split('\n').Where(l => l.StartsWith("interface ", StringComparison.Ordinal)));
        Assert.Contains("dns A evil.example: 192.0.2.1", stdout, StringComparison.Ordinal);
        Assert.Contains("dns AAAA evil.example: 2001:db8::1", stdout, StringComparison.Ordinal);

        var sink = r.GetProperty("sinkhole");
        Assert.True(sink.GetProperty("complete").GetBoolean());
        Assert.Equal(0, sink.GetProperty("unparsedLines").GetInt32());
        Assert.Equal(0, sink.GetProperty("recordsDropped").GetInt64());

        // Both questions, as asked (server, name, type) and as answered.
        var dns = All(sink, "dns");
        Assert.Equal(2, dns.Count);
        Assert.Equal(("203.0.113.53", 53, "evil.example", "A", "192.0.2.1"), Question(dns[0]));
        Assert.Equal(("2001:db8::53", 53, "evil.example", "AAAA", "2001:db8::1"), Question(dns[1]));

        // Every connection, with the destination the sample asked for and what it sent first.
        var tcp = All(sink, "connections");
        Assert.Equal(
            [("ipv4", "192.0.2.1", 80), ("ipv4", "203.0.113.5", 4444), ("ipv6", "2001:db8::5", 443)],
            tcp.Select(c => (c.GetProperty("family").GetString()!, c.GetProperty("address").GetString()!, c.GetProperty("port").GetInt32())));
        Assert.Equal("GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", FirstBytes(tcp[0]));
        // The HTTP request, and only it, got the sinkhole's reply, and the sample read it.
        Assert.Equal(["HTTP/1.0 200 OK, empty body", null, null], tcp.Select(c => c.GetProperty("reply").GetString()));
        Assert.Contains("tcp 192.0.2.1 80: reply HTTP/1.0 200 OK\n", stdout, StringComparison.Ordinal);
        Assert.Equal("HELLO from the sample\n", FirstBytes(tcp[1]));
        Assert.Equal("HELLO from the sample\\n", tcp[1].GetProperty("firstBytesText").GetString());
        Assert.Equal("HELLO6", FirstBytes(tcp[2]));
        Assert.All(tcp, c => Assert.True(c.GetProperty("atSeconds").GetDouble() is >= 0 and < 60));

        // The trace saw the same attempts succeed: connect returned 0 and the questions were sent.
        var net = All(r, "network");
        foreach (var (address, port) in new[] { ("203.0.113.5", 4444), ("2001:db8::5", 443), ("192.0.2.1", 80) })
        {
            var connect = Assert.Single(net, n => n.GetProperty("syscall").GetString() == "connect" && n.GetProperty("address").GetString() == address);
            Assert.Equal(port, connect.GetProperty("port").GetInt32());
            Assert.Equal(0, connect.GetProperty("result").GetInt64());
        }

        Assert.Contains(net, n => n.GetProperty("dns").ValueKind == JsonValueKind.Object && n.GetProperty("address").GetString() == "203.0.113.53");
        Assert.Contains("sinkhole: 3 TCP connections, 2 DNS questions answered", r.GetProperty("verdict").GetString(), StringComparison.Ordinal);

        // Audited as what it was: the guest's sinkhole network, in the microVM.
        string id = r.GetProperty("run").GetProperty("sandboxId").GetString()!;
        var ids = _cli.Run("audit", "ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ')[0]);
        var record = ids.Reverse().Take(20).Select(i => JsonDocument.Parse(_cli.Run("audit", "show", i, "--json").Stdout).RootElement)
            .First(x => x.TryGetProperty("sandbox", out var s) && s.GetString() == id && x.GetProperty("outcome").GetString() == "exited");
        Assert.Equal("sinkhole", record.GetProperty("applied").GetProperty("network").GetString());
        Assert.Equal("microvm", record.GetProperty("applied").GetProperty("backend").GetString());

        string html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("id=\"sinkhole-tcp\"", html, StringComparison.Ordinal);
        Assert.Contains("HELLO from the sample\\n", html, StringComparison.Ordinal);
        Assert.Contains("<td>HTTP/1.0 200 OK, empty body</td>", html, StringComparison.Ordinal);
    }

    private static (string, int, string, string, string?) Question(JsonElement d) => (
        d.GetProperty("address").GetString()!, d.GetProperty("port").GetInt32(), d.GetProperty("query").GetProperty("name").GetString()!,
        d.GetProperty("query").GetProperty("type").GetString()!, d.GetProperty("answer").GetString());

    [Fact]
    public void Without_the_sinkhole_the_same_sample_reaches_nothing_and_every_attempt_is_listed()
    {
        var (_, r, outDir) = Analyze("sinkhole", "none");
        Assert.Equal(JsonValueKind.Null, r.GetProperty("sinkhole").ValueKind);
        string stdout = File.ReadAllText(Path.Combine(outDir, "stdout"));
        Assert.Equal(["interface lo"], stdout.Split('\n').Where(l => l.StartsWith("interface ", StringComparison.Ordinal)));
        Assert.Contains("dns evil.example: sendto: Network is unreachable", stdout, StringComparison.Ordinal);
        Assert.Contains("tcp 203.0.113.5 4444: connect: Network is unreachable", stdout, StringComparison.Ordinal);

        var net = All(r, "network");
        var connect = Assert.Single(net, n => n.GetProperty("syscall").GetString() == "connect" && n.GetProperty("address").GetString() == "203.0.113.5");
        Assert.Equal("ENETUNREACH", connect.GetProperty("error").GetString());
        var v6 = Assert.Single(net, n => n.GetProperty("syscall").GetString() == "connect" && n.GetProperty("address").GetString() == "2001:db8::5");
        Assert.Equal("ENETUNREACH", v6.GetProperty("error").GetString());
        var question = Assert.Single(net, n => n.GetProperty("dns").ValueKind == JsonValueKind.Object && n.GetProperty("address").GetString() == "203.0.113.53");
        Assert.Equal("evil.example", question.GetProperty("dns").GetProperty("name").GetString());
        Assert.Equal("ENETUNREACH", question.GetProperty("error").GetString());
    }

    [Fact]
    public void A_sample_cannot_forge_sinkhole_records_or_reach_the_sinkhole()
    {
        var (_, r, outDir) = Analyze("forge", "sinkhole");
        Assert.Equal(5, r.GetProperty("run").GetProperty("exitCode").GetInt32());
        string stdout = File.ReadAllText(Path.Combine(outDir, "stdout"));
        Assert.DoesNotContain("forged into", stdout, StringComparison.Ordinal); // no path of init's or the helper's is within its reach
        Assert.Contains("killed 0", stdout, StringComparison.Ordinal); // the helper is outside its PID namespace
        Assert.Contains("stolen 0", stdout, StringComparison.Ordinal); // its own listener on a destination got nothing
        Assert.Contains("bind 53: Permission denied", stdout, StringComparison.Ordinal);

        var sink = r.GetProperty("sinkhole");
        Assert.True(sink.GetProperty("complete").GetBoolean()); // the helper ran to its end line
        Assert.Equal(0, sink.GetProperty("unparsedLines").GetInt32());
        Assert.Equal(0, sink.GetProperty("recordsDropped").GetInt64());

        // Exactly the two connections it made, the forged lines only as the bytes it sent.
        var tcp = All(sink, "connections");
        Assert.Equal([("203.0.113.9", 8080), ("203.0.113.6", 4444)], tcp.Select(c => (c.GetProperty("address").GetString()!, c.GetProperty("port").GetInt32())));
        Assert.Equal("STOLEN?", FirstBytes(tcp[0]));
        Assert.StartsWith("\ntcp 1 1 ipv4 6.6.6.6 666", FirstBytes(tcp[1]), StringComparison.Ordinal);
        Assert.StartsWith("\\ntcp 1 1 ipv4 6.6.6.6 666", tcp[1].GetProperty("firstBytesText").GetString(), StringComparison.Ordinal);

        // One question, its forged name kept as a name.
        var dns = Assert.Single(All(sink, "dns"));
        Assert.StartsWith("x\ntcp 9 9 ipv4 6", dns.GetProperty("query").GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.All(All(sink, "dns").Concat(tcp), e => Assert.NotEqual("6.6.6.6", e.GetProperty("address").GetString()));
    }

    [Fact]
    public void A_connection_still_open_at_the_timeout_is_recorded_with_its_first_bytes()
    {
        var (_, r, _) = Analyze("hold", "sinkhole", "4s");
        Assert.True(r.GetProperty("run").GetProperty("timedOut").GetBoolean());
        var sink = r.GetProperty("sinkhole");
        Assert.True(sink.GetProperty("complete").GetBoolean()); // stopped by init after the sample's tree was killed, not lost
        var c = Assert.Single(All(sink, "connections"));
        Assert.Equal(("203.0.113.7", 8443, "HOLD"), (c.GetProperty("address").GetString(), c.GetProperty("port").GetInt32(), FirstBytes(c)));
    }
}
