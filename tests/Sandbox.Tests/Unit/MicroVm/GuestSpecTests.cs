using System.Diagnostics;
using System.Text;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Qemu;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class GuestSpecTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("'; reboot -f; echo '")]
    [InlineData("$(id) `id` $HOME \\ \" * ?")]
    [InlineData("line1\nline2")]
    [InlineData("")]
    public void Quoted_words_reach_the_shell_unchanged(string word)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"printf '%s' {GuestSpec.Quote(word)}");
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(word, output);
    }

    [Fact]
    public void The_script_quotes_every_user_word_and_drops_to_the_requested_ids()
    {
        string script = GuestSpec.Script(["sh", "-c", "echo $X; exit 3"], ["X=a b", "PATH=/bin"], "/tmp/w", 1000, 1001);
        Assert.Equal(
            "/.sandbox/busybox mkdir -p -- '/tmp/w'\n"
            + "cd -- '/tmp/w' || exit 125\n"
            + "exec /.sandbox/busybox env -i 'X=a b' 'PATH=/bin' /.sandbox/busybox setpriv --nnp /.sandbox/busybox nsenter -S 1000 -G 1001 -- 'sh' '-c' 'echo $X; exit 3'\n",
            script);
        Assert.DoesNotContain("nsenter", GuestSpec.Script(["true"], [], "/", 0, 0), StringComparison.Ordinal);
    }

    [Fact]
    public void The_message_is_a_header_with_the_byte_length_then_the_script()
    {
        byte[] message = GuestSpec.Message("echo é\n", stdin: true);
        Assert.Equal("spec 8 1 0\necho é\n", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public void Volume_lines_follow_the_header_with_the_target_as_the_rest_of_the_line()
    {
        byte[] message = GuestSpec.Message("true\n", stdin: false,
            [new GuestMount("vol0", "/data", ReadOnly: false), new GuestMount("vol1", "/my samples/it's", ReadOnly: true)]);
        Assert.Equal("spec 5 0 2\nvolume vol0 rw /data\nvolume vol1 ro /my samples/it's\ntrue\n", Encoding.UTF8.GetString(message));
    }

    [Theory]
    [InlineData("vol0", "/a\nvolume vol9 rw /etc")]
    [InlineData("vol0", "relative")]
    [InlineData("vol 0", "/data")]
    public void A_mount_that_could_forge_a_line_is_refused(string tag, string target) =>
        Assert.Throws<ArgumentException>(() => GuestSpec.Message("true\n", stdin: false, [new GuestMount(tag, target, ReadOnly: false)]));

    [Theory]
    [InlineData("exit 3", 3)]
    [InlineData("exit 0\n", 0)]
    [InlineData("exit 255", 255)]
    public void Exit_lines_are_parsed(string line, int code) =>
        Assert.Equal(code, Assert.IsType<ControlMessage.Exited>(ControlMessage.Parse(line)).Code);

    [Fact]
    public void Exit_lines_carry_the_byte_counts_of_stdout_and_stderr() =>
        Assert.Equal(new ControlMessage.Exited(7, 1_700_000, 12), ControlMessage.Parse("exit 7 1700000 12\n"));

    [Theory]
    [InlineData("exit -1")]
    [InlineData("exit 256")]
    [InlineData("exit 3 4")]
    [InlineData("exit 3 4 -5")]
    [InlineData("exit 3 4 5 6")]
    [InlineData("exit 3  4 5")]
    [InlineData("garbage")]
    public void Anything_else_on_the_control_port_is_ignored(string line) => Assert.Null(ControlMessage.Parse(line));

    [Fact]
    public void The_host_tsc_rate_is_read_from_cpuinfo()
    {
        Assert.Equal(2_299_989L, HostTsc.ParseCpuinfo("processor\t: 0\ncpu MHz\t\t: 2299.989\n"));
        Assert.Null(HostTsc.ParseCpuinfo("processor\t: 0\n"));
        Assert.Equal(2_600_000L, HostTsc.ParseCpuinfo("model name\t: Intel(R) Core(TM) i7 CPU @ 2.60GHz\ncpu MHz\t\t: 800.000\n"));
    }
}
