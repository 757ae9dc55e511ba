using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Probe;

/// <summary>
/// The attack probe run natively, unconfined: each test pins an outcome the host allows (or a failure the
/// probe must report faithfully), so that the same check failing inside the sandbox means the sandbox
/// blocked it, not that the probe is broken.
/// </summary>
public sealed class ProbeTests
{
    [Fact]
    public void Unix_socket_opens_natively()
    {
        ProbeRun run = Native("socket", "AF_UNIX");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new ProbeResult("socket", true, null), run.Verdict);
    }

    [Fact]
    public void Write_to_a_temp_file_succeeds_natively_and_writes_one_byte()
    {
        string dir = Directory.CreateTempSubdirectory("probe-test-").FullName;
        try
        {
            string file = Path.Combine(dir, "written");

            ProbeRun run = Native("write", file);

            Assert.Equal(0, run.ExitCode);
            Assert.Equal(new ProbeResult("write", true, null), run.Verdict);
            Assert.Equal("x", File.ReadAllText(file));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Read_of_a_missing_file_reports_ENOENT_and_exits_1()
    {
        ProbeRun run = Native("read", "/nonexistent");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(new ProbeResult("read", false, "ENOENT"), run.Verdict);
    }

    [Fact]
    public void Signal_9_kills_the_probe_and_shows_as_exit_code_137()
    {
        ProbeRun run = Native("signal", "9");

        Assert.Equal(128 + 9, run.ExitCode);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void Clone3_succeeds_natively_so_a_sandboxed_ENOSYS_is_the_filter()
    {
        ProbeRun run = Native("clone3");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new ProbeResult("clone3", true, null), run.Verdict);
    }

    [Fact]
    public void Unshare_user_succeeds_natively()
    {
        ProbeRun run = Native("unshare", "user");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new ProbeResult("unshare", true, null), run.Verdict);
    }

    [Fact]
    public void Reboot_as_root_fails_with_EINVAL_so_the_probe_can_never_reboot_the_host()
    {
        // Root passes the CAP_SYS_BOOT check; the deliberately invalid magic is what stops it.
        Require.Root();

        ProbeRun run = Native("reboot");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(new ProbeResult("reboot", false, "EINVAL"), run.Verdict);
    }

    [Fact]
    public void Caps_prints_every_capability_set_before_its_verdict()
    {
        ProbeRun run = Native("caps");

        Assert.Equal(0, run.ExitCode);
        foreach (string set in new[] { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" })
        {
            Assert.Contains(run.Stdout.Split('\n'), line => line.StartsWith(set, StringComparison.Ordinal));
        }

        Assert.Equal(new ProbeResult("caps", true, null), run.Verdict);
    }

    [Fact]
    public void Forkbomb_within_limits_forks_all_children_and_reaps_them()
    {
        ProbeRun run = Native("forkbomb", "5");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("forkbomb: 5 ok\n", run.Stdout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-such-check")]
    [InlineData("socket")]
    [InlineData("socket AF_NOSUCH")]
    [InlineData("unshare everything")]
    [InlineData("read /a /b")]
    [InlineData("signal nine")]
    public void Usage_errors_exit_2_and_list_the_checks(string commandLine)
    {
        string[] args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        ProbeRun run = Native(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith("usage: probe CHECK", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("  clone3\n", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("  socket FAMILY\n", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("socket: ok", "socket", true, null)]
    [InlineData("read: ENOENT", "read", false, "ENOENT")]
    [InlineData("clone3: ENOSYS\n", "clone3", false, "ENOSYS")]
    [InlineData("io_uring: E1234", "io_uring", false, "E1234")]
    [InlineData("forkbomb: 50 ok", "forkbomb", true, null)]
    [InlineData("forkbomb: 9 forks ok, then EAGAIN", "forkbomb", false, "EAGAIN")]
    public void Parse_reads_verdict_lines(string line, string check, bool ok, string? errno)
    {
        Assert.Equal(new ProbeResult(check, ok, errno), ProbeBinary.Parse(line));
    }

    [Theory]
    [InlineData("")]
    [InlineData("CapEff:\t000001ffffffffff")]
    [InlineData("socket: maybe")]
    [InlineData(": ok")]
    public void Parse_rejects_lines_that_are_not_verdicts(string line)
    {
        Assert.Throws<FormatException>(() => ProbeBinary.Parse(line));
    }

    [Fact]
    public void ParseOutput_takes_the_last_line_after_data_lines()
    {
        Assert.Equal(
            new ProbeResult("ifaces", true, null),
            ProbeBinary.ParseOutput("lo\neth0\nifaces: ok\n"));
    }

    private static ProbeRun Native(params string[] args)
    {
        Require.Tool("gcc");
        return ProbeBinary.RunNative(args);
    }
}
