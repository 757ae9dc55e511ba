using System.Text;
using Sandbox.Analysis;
using Sandbox.Analysis.Sinkhole;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Policy;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>--network sinkhole on the host's side: the guest spec and config, the helper's records, their rendering.</summary>
public sealed class SinkholeTests
{
    private static readonly OciSeccomp Seccomp = new("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"], [new OciSyscallRule(["read"], "SCMP_ACT_ALLOW")]);

    private static GuestPlan Plan() => new(["/sample/x"], ["PATH=/bin"], "/", 0, 0, "sandbox", ResourceLimits.Default, Seccomp,
        [new GuestMount("vol0", "/sample", ReadOnly: true)]) { Analysis = true };

    [Fact]
    public void The_header_asks_init_for_the_sinkhole_only_in_an_analysis()
    {
        Assert.Equal("spec 2 0 0 analyze sinkhole\n{}", Encoding.UTF8.GetString(GuestSpec.Message("{}"u8.ToArray(), stdin: false, analyze: true, sinkhole: true)));
        Assert.Equal("spec 2 0 0\n{}", Encoding.UTF8.GetString(GuestSpec.Message("{}"u8.ToArray(), stdin: false, sinkhole: true)));
    }

    [Fact]
    public void The_sample_joins_the_helpers_network_namespace_and_nothing_else_changes()
    {
        var none = GuestOciSpec.Build(Plan());
        var sink = GuestOciSpec.Build(Plan() with { Sinkhole = true });
        Assert.Null(Assert.Single(none.Linux.Namespaces, n => n.Type == "network").Path);
        Assert.Equal("/run/sinkhole/net", Assert.Single(sink.Linux.Namespaces, n => n.Type == "network").Path);
        Assert.Equal(none.Linux.Namespaces.Select(n => n.Type), sink.Linux.Namespaces.Select(n => n.Type)); // pid, mount, ipc... still its own
        Assert.Equal(OciSpecBuilder.ToJson(none), OciSpecBuilder.ToJson(sink with { Linux = sink.Linux with { Namespaces = none.Linux.Namespaces } }));
        Assert.Contains("\"path\": \"/run/sinkhole/net\"", OciSpecBuilder.ToJson(sink), StringComparison.Ordinal);
        Assert.DoesNotContain("/run/sinkhole", OciSpecBuilder.ToJson(none), StringComparison.Ordinal);
        Assert.Equal("sinkhole", AppliedHardeningReader.FromSpec(sink, "crun", "default").Network);
        Assert.Equal("none", AppliedHardeningReader.FromSpec(none, "crun", "default").Network);
    }

    [Fact]
    public void The_embedded_helper_is_a_static_executable()
    {
        var linkage = Sandbox.Backends.MicroVm.Initramfs.ElfDependencies.Read(Sinkhole.Binary, "sinkhole");
        Assert.Null(linkage.Interpreter);
        Assert.Empty(linkage.Needed);
        Assert.Equal(Sinkhole.GuestPath.TrimStart('/'), Sandbox.Backends.MicroVm.Initramfs.InitramfsBuilder.SinkholeFile.GuestPath);
    }

    [Fact]
    public void Init_starts_the_helper_where_the_config_joins_it_as_the_helpers_own_identity()
    {
        string init = Sandbox.Backends.MicroVm.Initramfs.InitramfsBuilder.InitScript;
        Assert.Contains($"{Sinkhole.GuestPath} {Sinkhole.NetnsPath} {Sinkhole.HelperUid} >/run/report/sinkhole", init, StringComparison.Ordinal);
        Assert.NotEqual(0u, Sinkhole.HelperUid);
    }

    private const string Query = "abcd01000001000000000000046576696c076578616d706c650000010001"; // evil.example A

    [Fact]
    public void Records_become_connections_and_questions_in_order_with_times_after_the_exec()
    {
        string records =
            $"dns 1 12500000000 ipv4 203.0.113.53 53 50738 1 {Query}\n" +
            "tcp 3 13000000000 ipv6 2001:db8::5 443 59692 6 0 48454c4c4f36\n" +
            "tcp 2 12750000000 ipv4 203.0.113.5 4444 36152 5000 1 0a1b5c3c\n" +
            "end 2\n";
        var s = SinkholeRecords.Parse(records, start: 12.0);
        Assert.True(s.Complete);
        Assert.Equal(2, s.RecordsDropped);
        Assert.Equal(0, s.UnparsedLines);
        Assert.Equal(["203.0.113.5", "2001:db8::5"], s.Connections.Select(c => c.Address));
        var first = s.Connections[0];
        Assert.Equal((0.75, "ipv4", 4444, 36152, 5000L, true), (first.AtSeconds!.Value, first.Family, first.Port, first.SourcePort, first.Bytes, first.Truncated));
        Assert.Equal("\\n\\x1b\\\\<", first.FirstBytesText); // a newline, an escape, a backslash: all visible, none raw
        Assert.Equal(Convert.ToBase64String([0x0a, 0x1b, 0x5c, 0x3c]), first.FirstBytesBase64);
        Assert.Equal("HELLO6", s.Connections[1].FirstBytesText);
        Assert.Equal(("HTTP/1.0 200 OK, empty body", (string?)null), (first.Reply, s.Connections[1].Reply)); // REPLIED 1 and 0
        var dns = Assert.Single(s.Dns);
        Assert.Equal(("203.0.113.53", 53, true, "192.0.2.1"), (dns.Address, dns.Port, dns.Answered, dns.Answer));
        Assert.Equal(new ReportDns(0xabcd, "evil.example", "A", false), dns.Query);
        Assert.Equal(0.5, dns.AtSeconds);
    }

    [Theory]
    [InlineData("tcp 1 1 ipv4 6.6.6.6 666 1 4 0 46414B45")] // upper-case hex: the helper never writes it
    [InlineData("tcp 1 1 ipv4 6.6.6.6 666 1 4 0 FAKE")]
    [InlineData("tcp 1 1 ipv6 6.6.6.6 666 1 4 0 46414b45")] // family and address disagree
    [InlineData("tcp 1 1 ipv4 6.6.6.6 666 1 4 0 46414b45 extra")]
    [InlineData("tcp 1 1 ipv4 6.6.6.6 666 1 4 46414b45")] // no REPLIED field
    [InlineData("tcp 1 1 ipv4 6.6.6.6 666 1 4 2 46414b45")] // REPLIED is 0 or 1
    [InlineData("tcp 1 1 ipv4 6.6.6.6 66666 1 4 0 46414b45")]
    [InlineData("dns 1 1 ipv4 6.6.6.6 53 1 2 00")]
    [InlineData("udp 1 1 ipv4 6.6.6.6 53 1 1 00")]
    [InlineData("tcp 1 1 ipv4 6.6.6.6 666 1 4 0 464")]
    public void A_line_that_is_not_a_whole_record_is_counted_never_listed(string line)
    {
        var s = SinkholeRecords.Parse(line + "\nend 0\n", start: 0);
        Assert.Empty(s.Connections);
        Assert.Empty(s.Dns);
        Assert.Equal(1, s.UnparsedLines);
    }

    [Fact]
    public void Without_its_end_line_the_records_are_marked_incomplete()
    {
        var s = SinkholeRecords.Parse("tcp 1 1 ipv4 203.0.113.5 80 1 0 0 -\n", start: null);
        Assert.False(s.Complete);
        Assert.Null(Assert.Single(s.Connections).AtSeconds);
        Assert.Equal("", s.Connections[0].FirstBytesText);
    }

    [Fact]
    public void The_html_shows_the_first_bytes_and_questions_as_escaped_text()
    {
        // "<script>alert(1)</script>" ESC "[31m", and a DNS name with markup in it.
        var sink = SinkholeRecords.Parse("tcp 1 1 ipv4 203.0.113.5 80 1 30 0 3c7363726970743e616c6572742831293c2f7363726970743e1b5b33316d\n"
            + "dns 2 1 ipv4 203.0.113.53 53 1 1 abcd01000001000000000000093c623e782f3c2f623e0000010001\nend 0\n", start: 0);
        string page = ReportHtml.Render(ReportHtmlTests.Report() with { Sinkhole = sink });
        Assert.DoesNotContain("<script", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m", page, StringComparison.Ordinal);
        Assert.Contains("A &lt;b&gt;x/&lt;/b&gt;", page, StringComparison.Ordinal);
        Assert.Contains("id=\"sinkhole-tcp\"", page, StringComparison.Ordinal);
        Assert.Contains("203.0.113.5:80", page, StringComparison.Ordinal);
    }
}
