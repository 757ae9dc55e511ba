using Sandbox.Analysis;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>report.html is inert whatever the sample named things: no markup, no script, no raw control characters.</summary>
public sealed class ReportHtmlTests
{
    private const string Evil = "<script>alert(1)</script>\u001b[31m\"'&\u0007";

    internal static AnalysisReport Report() => new()
    {
        Verdict = "v " + Evil,
        Sample = new ReportSample(Evil, "/sample/sample", 1, new string('a', 64), "elf", new ElfFacts("ELF64", "x86-64", "static", null), null),
        Run = new ReportRun("sb-1", "busybox", "debian-6.1", [Evil], "none", 60, false, "exited", 3, null, 1.5, "2026-01-01T00:00:00Z"),
        Processes = [new ReportProcess(5, null, "/sample/sample", ["/sample/sample", Evil], 0, 0, 1, 3, null, [new ReportExec(0, Evil, [Evil], false, 0, null)])],
        Files = [new ReportFile("/tmp/" + Evil, "created", "file", 1, "0644", new string('b', 64), false, false, false, null, "dropped/" + new string('b', 64)),
            new ReportFile("/tmp/l", "created", "symlink", null, null, null, false, false, false, Evil, null)],
        Opens = [new ReportOpen(0.05, 5, "/etc/" + Evil, false, null, "O_RDONLY", null, 1)],
        Network = [new ReportNetwork(0.1, 5, "sendto", "ipv4", "127.0.0.1", 53, 31, null, new ReportDns(1, Evil, "A", false)),
            new ReportNetwork(0.2, 5, "connect", "unix", "@" + Evil, null, -111, "ECONNREFUSED", null)],
        Signals = [],
        Denials = new ReportDenials(true, "n", [new ReportDenial("unshare", 2, 5, "errno")]),
        Resources = new ReportResources(1, 0, 0, 1, 1, 1, 1, false),
        Output = new ReportOutput(new ReportOutputFile("stdout", 0, 0, false), new ReportOutputFile("stderr", 0, 0, false)),
        Collector = new ReportCollector("m", 0, [], 0),
    };

    [Fact]
    public void Sample_controlled_strings_are_text()
    {
        string html = ReportHtml.Render(Report());
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\u001b', html);
        Assert.DoesNotContain('\u0007', html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m&quot;&#39;&amp;\\x07", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"dropped/" + new string('b', 64) + "\">", html, StringComparison.Ordinal);
        Assert.Contains("<code>/etc/&lt;script&gt;", html, StringComparison.Ordinal); // an opened path
        Assert.Contains("<code>unix @&lt;script&gt;", html, StringComparison.Ordinal); // an abstract socket's name
    }

    [Fact]
    public void The_page_loads_nothing_and_runs_nothing()
    {
        string html = ReportHtml.Render(Report());
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("://", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"<[^>]*\son[a-z]+\s*=", html); // no event handler attributes
    }
}
