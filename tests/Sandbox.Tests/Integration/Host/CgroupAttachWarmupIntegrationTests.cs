using Sandbox.Host.Cgroups;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Integration.Host;

/// <summary>The warm-up really writes to cgroup.procs, and moves nothing: the process stays in every group it was in.</summary>
public sealed class CgroupAttachWarmupIntegrationTests
{
    [Fact]
    public async Task The_warmup_write_is_taken_and_leaves_the_process_where_it_was()
    {
        Require.Root();
        Require.HostHas(File.Exists("/sys/fs/cgroup/cgroup.controllers") || File.Exists("/sys/fs/cgroup/unified/cgroup.controllers"), "no cgroup2 mount");
        string before = await File.ReadAllTextAsync("/proc/self/cgroup", TestContext.Current.CancellationToken);

        bool written = await CgroupAttachWarmup.Start();

        Assert.True(written, "the kernel refused the write to the process's own cgroup.procs");
        Assert.Equal(before, await File.ReadAllTextAsync("/proc/self/cgroup", TestContext.Current.CancellationToken));
    }
}
