using Sandbox.Host.Files;
using Sandbox.Host.Probes;

namespace Sandbox.Tests.Unit.Host;

public sealed class CgroupClassifierTests
{
    private const long Cgroup2 = CgroupClassifier.Cgroup2SuperMagic;
    private const long Tmpfs = CgroupClassifier.TmpfsMagic;
    private const long Sysfs = CgroupClassifier.SysfsMagic;
    private const long CgroupV1 = CgroupClassifier.CgroupSuperMagic;
    private const long Ext4 = 0xEF53;

    [Theory]
    [InlineData(Cgroup2, null, CgroupMode.Unified)]
    [InlineData(Cgroup2, Cgroup2, CgroupMode.Unified)]
    [InlineData(Tmpfs, Cgroup2, CgroupMode.Hybrid)]
    [InlineData(Tmpfs, null, CgroupMode.Legacy)]
    [InlineData(Tmpfs, Tmpfs, CgroupMode.Legacy)]
    [InlineData(Tmpfs, CgroupV1, CgroupMode.Legacy)]
    [InlineData(CgroupV1, null, CgroupMode.Legacy)]
    [InlineData(Ext4, null, CgroupMode.Legacy)]
    [InlineData(Sysfs, null, CgroupMode.Unavailable)]
    [InlineData(null, null, CgroupMode.Unavailable)]
    [InlineData(null, Cgroup2, CgroupMode.Unavailable)]
    public void Classifies_statfs_magic(long? root, long? unified, CgroupMode expected) =>
        Assert.Equal(expected, CgroupClassifier.Classify(root, unified));

    [Fact]
    public void Magic_numbers_match_linux_magic_h()
    {
        Assert.Equal(0x63677270, CgroupClassifier.Cgroup2SuperMagic);
        Assert.Equal(0x01021994, CgroupClassifier.TmpfsMagic);
        Assert.Equal(0x27e0eb, CgroupClassifier.CgroupSuperMagic);
    }

    [Theory]
    [InlineData(CgroupMode.Unified, true)]
    [InlineData(CgroupMode.Hybrid, true)]
    [InlineData(CgroupMode.Legacy, true)]
    [InlineData(CgroupMode.Unavailable, false)]
    public void Only_unavailable_is_not_ok_and_it_says_what_to_mount(CgroupMode mode, bool ok)
    {
        CgroupResult result = CgroupProbe.Describe(mode, Tmpfs, null);
        Assert.Equal(ok, result.Ok);
        Assert.Equal(ok, result.Remedy is null);
        Assert.Equal(mode, result.Mode);
    }

    [Fact]
    public void Hybrid_detail_warns_that_crun_refuses_it() =>
        Assert.Contains("crun refuses", CgroupProbe.Describe(CgroupMode.Hybrid, Tmpfs, null).Detail, StringComparison.Ordinal);

    [Fact]
    public void The_real_probe_agrees_with_a_second_statfs_of_the_same_paths()
    {
        CgroupResult result = CgroupProbe.Run();
        long? root = StatFs.Magic(CgroupProbe.Root, out _);
        long? unified = StatFs.Magic(CgroupProbe.Root + "/unified", out _);
        Assert.Equal(CgroupClassifier.Classify(root, unified), result.Mode);
    }

    [Fact]
    public void Statfs_of_a_missing_path_names_the_errno()
    {
        Assert.Null(StatFs.Magic("/nonexistent/sandbox-test", out string? error));
        Assert.Contains("ENOENT", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Statfs_of_proc_is_procfs() =>
        Assert.Equal(0x9fa0, StatFs.Magic("/proc", out _));
}
