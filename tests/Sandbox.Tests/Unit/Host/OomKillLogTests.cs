using Sandbox.Host.Cgroups;

namespace Sandbox.Tests.Unit.Host;

/// <summary>The kernel's OOM-kill line names the container's cgroup; nothing else, and nothing userspace wrote, counts.</summary>
public sealed class OomKillLogTests
{
    private const string Id = "sb-21ddbe06a4d9";

    // As the 6.x kernel logs it (cgroup v1 here; v2 names the same paths), with its dictionary line.
    private const string Killed =
        "6,1187,1896646761,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=sb-21ddbe06a4d9,mems_allowed=0,oom_memcg=/sandbox/sb-21ddbe06a4d9,task_memcg=/sandbox/sb-21ddbe06a4d9,task=perl,pid=1387,uid=1000000000\n SUBSYSTEM=memory\n";

    [Fact]
    public void The_kernel_s_line_for_this_cgroup_counts() => Assert.True(OomKillLog.IsOomKillIn(Killed, Id));

    [Fact]
    public void A_kill_in_a_cgroup_below_it_counts() =>
        Assert.True(OomKillLog.IsOomKillIn(Killed.Replace("task_memcg=/sandbox/sb-21ddbe06a4d9", "task_memcg=/sandbox/sb-21ddbe06a4d9/child", StringComparison.Ordinal)
            .Replace("oom_memcg=/sandbox/sb-21ddbe06a4d9", "oom_memcg=/sandbox/sb-21ddbe06a4d9/child", StringComparison.Ordinal), Id));

    [Theory]
    [InlineData("sb-000000000000")] // another sandbox's kill
    [InlineData("sb-21ddbe06a4d")]  // a prefix of the name is not the name
    public void Another_cgroup_s_kill_does_not(string other) => Assert.False(OomKillLog.IsOomKillIn(Killed, other));

    [Theory]
    [InlineData("14,1188,1896646800,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/sandbox/sb-21ddbe06a4d9,task_memcg=/sandbox/sb-21ddbe06a4d9,task=x,pid=1\n")] // facility user: written to /dev/kmsg by a process
    [InlineData("4,1189,1896646761,-;perl invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=500\n")] // the kernel, but not the kill line
    [InlineData("6,1190,1896646761,-;Memory cgroup out of memory: Killed process 1387 (perl) total-vm:71904kB\n task_memcg=/sandbox/sb-21ddbe06a4d9\n")] // the name only in a dictionary line
    [InlineData("oom-kill:oom_memcg=/sandbox/sb-21ddbe06a4d9")] // no record header
    [InlineData("")]
    public void Other_records_do_not(string record) => Assert.False(OomKillLog.IsOomKillIn(record, Id));
}
