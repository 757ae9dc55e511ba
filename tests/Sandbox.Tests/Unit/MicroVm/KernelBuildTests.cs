using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

/// <summary>The minimal kernels' config fragments and the build cache key: pure, so pinned here.</summary>
public sealed class KernelBuildTests
{
    // What the guest needs from a kernel with no modules (kernels/init.sh, crun, the hardened
    // workload, legacy binaries, `sandbox analyze`); every fragment must ask for each, built in.
    private static readonly string[] Required =
    [
        "CONFIG_PVH", "CONFIG_VIRTIO_MMIO", "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES", "CONFIG_VIRTIO_BLK", "CONFIG_VIRTIO_CONSOLE",
        "CONFIG_NET_9P", "CONFIG_NET_9P_VIRTIO", "CONFIG_9P_FS", "CONFIG_EXT4_FS", "CONFIG_OVERLAY_FS", "CONFIG_TMPFS", "CONFIG_DEVTMPFS",
        "CONFIG_NAMESPACES", "CONFIG_USER_NS", "CONFIG_PID_NS", "CONFIG_NET_NS", "CONFIG_IPC_NS", "CONFIG_UTS_NS",
        "CONFIG_SECCOMP", "CONFIG_SECCOMP_FILTER", "CONFIG_CGROUPS", "CONFIG_MEMCG", "CONFIG_CGROUP_PIDS", "CONFIG_CGROUP_SCHED",
        "CONFIG_IA32_EMULATION", "CONFIG_X86_VSYSCALL_EMULATION", "CONFIG_SERIAL_8250", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_UNIX98_PTYS",
        "CONFIG_UNIX", "CONFIG_INET", "CONFIG_POSIX_MQUEUE", "CONFIG_FUTEX", "CONFIG_EPOLL", "CONFIG_EVENTFD", "CONFIG_SIGNALFD",
        "CONFIG_TIMERFD", "CONFIG_INOTIFY_USER", "CONFIG_FTRACE", "CONFIG_FTRACE_SYSCALLS", "CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS",
        "CONFIG_IKCONFIG", "CONFIG_IKCONFIG_PROC", "CONFIG_BLK_DEV_INITRD", "CONFIG_BINFMT_ELF", "CONFIG_BINFMT_SCRIPT",
    ];

    public static TheoryData<string> Fragments()
    {
        var data = new TheoryData<string>();
        foreach (var e in KernelCatalog.BuiltIn.Entries.Where(e => e.Build is not null))
        {
            data.Add(e.Build!.ConfigName);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fragments))]
    public void Every_fragment_builds_in_what_the_guest_needs_and_no_fanotify(string name)
    {
        var fragment = ConfigFragment.BuiltIn(name);
        Assert.All(Required, symbol => Assert.True(fragment.Symbols.GetValueOrDefault(symbol) == "y", $"{name} does not set {symbol}=y"));
        Assert.DoesNotContain(fragment.Symbols, s => s.Value == "m"); // nothing to insmod
        Assert.False(fragment.Symbols.ContainsKey("CONFIG_FANOTIFY"));
        Assert.Contains("-sandbox-minimal", fragment.Symbols["CONFIG_LOCALVERSION"], StringComparison.Ordinal); // uname -r says which kernel ran
    }

    [Fact]
    public void Unmet_names_every_option_kconfig_dropped_or_changed()
    {
        var fragment = ConfigFragment.Parse("# comment\nCONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_S=\"x\"\nCONFIG_N=16\n");
        string dotConfig = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\nCONFIG_S=\"x\"\nCONFIG_N=8\n";
        Assert.Equal(["CONFIG_B=y (got n)", "CONFIG_C=n (got y)", "CONFIG_N=16 (got 8)"], fragment.Unmet(dotConfig));
        Assert.Empty(fragment.Unmet("CONFIG_A=y\nCONFIG_B=y\nCONFIG_S=\"x\"\nCONFIG_N=16\n"));
        Assert.Equal(["CONFIG_A=y (got n)"], ConfigFragment.Parse("CONFIG_A=y").Unmet("")); // absent from .config is off
    }

    [Theory]
    [InlineData("CONFIG_A=y\nCONFIG_A=n\n")]
    [InlineData("CONFIG_A y\n")]
    [InlineData("A=y\n")]
    public void A_malformed_fragment_is_refused_naming_the_line(string text)
    {
        var e = Assert.Throws<InvalidDataException>(() => ConfigFragment.Parse(text));
        Assert.Contains("line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cache_key_covers_source_version_fragment_toolchain_and_recipe()
    {
        var fragment = ConfigFragment.Parse("CONFIG_A=y\n");
        var source = new AptRecord("6.1.192-3", new string('a', 64), "pool/main/l/linux/linux-source-6.1_6.1.192-3_all.deb");
        string toolchain = KernelBuildKey.ToolchainOf("gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright\n", "GNU ld (GNU Binutils for Debian) 2.40\n");
        var key = KernelBuildKey.For("linux-source-6.1", source, fragment, toolchain);
        Snapshot.Match("kernel-build-key.txt", key.Describe() + "key " + key.Key + "\n");

        Assert.NotEqual(key.Key, KernelBuildKey.For("linux-source-6.1", source with { Version = "6.1.192-4" }, fragment, toolchain).Key);
        Assert.NotEqual(key.Key, KernelBuildKey.For("linux-source-6.1", source, ConfigFragment.Parse("CONFIG_A=y\nCONFIG_B=y\n"), toolchain).Key);
        Assert.NotEqual(key.Key, KernelBuildKey.For("linux-source-6.1", source, fragment, toolchain.Replace("12.2.0", "12.3.0", StringComparison.Ordinal)).Key);
        Assert.Equal(key.Key, KernelBuildKey.For("linux-source-6.1", source, ConfigFragment.Parse("CONFIG_A=y\n"), toolchain).Key);
    }
}
