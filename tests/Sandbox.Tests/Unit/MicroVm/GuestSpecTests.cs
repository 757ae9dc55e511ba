using System.Text;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Qemu;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class GuestSpecTests
{
    [Fact]
    public void Guest_init_ends_a_cut_execs_stderr_with_the_line_the_host_looks_for() =>
        Assert.Contains($"note=\"{ControlMessage.ExecOutputCut}\"", File.ReadAllText(Path.Combine(Support.RepoPaths.Root, "kernels", "init.sh")), StringComparison.Ordinal);

    [Fact]
    public void The_message_is_a_header_with_the_config_length_then_the_config_bytes()
    {
        byte[] message = GuestSpec.Message("{\"a\":\"é\"}"u8.ToArray(), stdin: true);
        Assert.Equal("spec 10 1 0\n{\"a\":\"é\"}", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public void Volume_lines_follow_the_header_with_the_target_as_the_rest_of_the_line()
    {
        byte[] message = GuestSpec.Message("true\n"u8.ToArray(), stdin: false,
            [new GuestMount("vol0", "/data", ReadOnly: false), new GuestMount("vol1", "/my samples/it's", ReadOnly: true)]);
        Assert.Equal("spec 5 0 2\nvolume vol0 rw /data\nvolume vol1 ro /my samples/it's\ntrue\n", Encoding.UTF8.GetString(message));
    }

    [Theory]
    [InlineData("vol0", "/a\nvolume vol9 rw /etc")]
    [InlineData("vol0", "relative")]
    [InlineData("vol 0", "/data")]
    public void A_mount_that_could_forge_a_line_is_refused(string tag, string target) =>
        Assert.Throws<ArgumentException>(() => GuestSpec.Message("true\n"u8.ToArray(), stdin: false, [new GuestMount(tag, target, ReadOnly: false)]));

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
    [InlineData("exit 3 4 5 OOM")]
    [InlineData("applied abc crun")]
    [InlineData("garbage")]
    public void Anything_else_on_the_control_port_is_ignored(string line) => Assert.Null(ControlMessage.Parse(line));

    [Fact]
    public void Exit_lines_say_when_the_workload_ran_out_of_memory() =>
        Assert.Equal(new ControlMessage.Exited(137, 5, 0, OutOfMemory: true), ControlMessage.Parse("exit 137 5 0 oom"));

    [Fact]
    public void The_guest_reports_what_it_applies_when_it_starts_and_what_crun_refused()
    {
        string sha = new('a', 64);
        Assert.Equal(new ControlMessage.Applied(sha, "crun version 1.8.1"), ControlMessage.Parse($"applied {sha} crun version 1.8.1"));
        Assert.IsType<ControlMessage.Started>(ControlMessage.Parse("started"));
        Assert.Equal(new ControlMessage.Engine("{\"msg\": \"exec: x\"}"), ControlMessage.Parse("engine {\"msg\": \"exec: x\"}"));
    }

    [Fact]
    public void The_host_tsc_rate_is_read_from_cpuinfo()
    {
        Assert.Equal(2_299_989L, HostTsc.ParseCpuinfo("processor\t: 0\ncpu MHz\t\t: 2299.989\n"));
        Assert.Null(HostTsc.ParseCpuinfo("processor\t: 0\n"));
        Assert.Equal(2_600_000L, HostTsc.ParseCpuinfo("model name\t: Intel(R) Core(TM) i7 CPU @ 2.60GHz\ncpu MHz\t\t: 800.000\n"));
    }
}
