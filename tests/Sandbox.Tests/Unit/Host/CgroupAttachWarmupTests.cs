using Sandbox.Host.Cgroups;

namespace Sandbox.Tests.Unit.Host;

/// <summary>Which cgroup.procs the warm-up writes: always the process's own cgroup2 group, never another.</summary>
public sealed class CgroupAttachWarmupTests
{
    private const string Hybrid = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/bd00\n0::/\n";

    [Fact]
    public void A_hybrid_host_moves_the_process_within_the_unified_hierarchy() =>
        Assert.Equal("/sys/fs/cgroup/unified/cgroup.procs", CgroupAttachWarmup.ProcsFile(Hybrid, m => m == "/sys/fs/cgroup/unified"));

    [Fact]
    public void A_unified_host_moves_the_process_into_its_own_group() =>
        Assert.Equal(
            "/sys/fs/cgroup/user.slice/user-0.slice/session-3.scope/cgroup.procs",
            CgroupAttachWarmup.ProcsFile("0::/user.slice/user-0.slice/session-3.scope\n", m => m == "/sys/fs/cgroup"));

    [Theory]
    [InlineData("9:name=systemd:/\n8:pids:/user.slice\n")] // v1 only: no 0:: line
    [InlineData("0::/gone (deleted)\n")] // the group was removed
    [InlineData("0::relative\n")]
    [InlineData("0::/a/../b\n")]
    [InlineData("")]
    [InlineData(null)]
    public void Nothing_is_written_without_a_plain_cgroup2_path(string? procSelfCgroup) =>
        Assert.Null(CgroupAttachWarmup.ProcsFile(procSelfCgroup, _ => true));

    [Fact]
    public void Nothing_is_written_without_a_cgroup2_mount() =>
        Assert.Null(CgroupAttachWarmup.ProcsFile(Hybrid, _ => false));

    [Theory]
    [InlineData("1\n42\n4242\n", "42", true)]
    [InlineData("1\n4242\n", "42", false)] // never a prefix or a part of another PID
    [InlineData("", "42", false)]
    public void The_move_goes_only_into_a_group_that_lists_the_process(string procs, string pid, bool lists) =>
        Assert.Equal(lists, CgroupAttachWarmup.Lists(procs, pid));
}
