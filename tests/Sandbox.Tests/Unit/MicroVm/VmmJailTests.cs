using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Jail;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class VmmJailPlanTests
{
    private static OciSpec Spec(string? kvmNode = null)
    {
        var seccomp = new OciSeccomp("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"], []);
        var plan = VmmJail.Plan("sb-000000000000", "/state/run/sb-000000000000/jail", "/state/run/sb-000000000000/io",
            new VmmJail.Files("/state/kernels/debian-6.1/vmlinuz", "/state/vm/initramfs/k.cpio", "/state/vm/disks/d.ext4"),
            ["/usr/bin/qemu-system-x86_64", "-nodefaults"], 512L << 20, 1, IdRange.ForSlot(3), seccomp, kvmNode);
        return OciSpecBuilder.Build(plan);
    }

    [Fact]
    public void The_vmm_bundle_is_stable() => Snapshot.Match("vmm-oci-config.json", OciSpecBuilder.ToJson(Spec()) + "\n");

    [Fact]
    public void The_kvm_vmm_bundle_is_stable() =>
        Snapshot.Match("vmm-kvm-oci-config.json", OciSpecBuilder.ToJson(Spec("/state/run/sb-000000000000/kvm")) + "\n");

    [Fact]
    public void Under_kvm_the_jail_gains_its_own_kvm_node_and_nothing_else()
    {
        OciSpec tcg = Spec(), kvm = Spec("/state/run/sb-000000000000/kvm");
        var node = Assert.Single(kvm.Mounts, m => m.Destination == "/dev/kvm");
        Assert.Equal("/state/run/sb-000000000000/kvm", node.Source);
        Assert.Contains("rw", node.Options);
        Assert.Contains("nosuid", node.Options);
        Assert.Contains("noexec", node.Options);
        Assert.Equal([new OciDeviceRule(false, Access: "rwm"), new OciDeviceRule(true, "c", 10, 232, "rw")], kvm.Linux.Resources.Devices);

        // Everything else is the TCG jail's: same IDs (no extra host group), capabilities, namespaces, seccomp.
        Assert.Equal(tcg.Mounts.Select(m => m.Destination), kvm.Mounts.Where(m => m.Destination != "/dev/kvm").Select(m => m.Destination));
        Assert.Equal(tcg.Linux.UidMappings, kvm.Linux.UidMappings);
        Assert.Equal(tcg.Linux.GidMappings, kvm.Linux.GidMappings);
        Assert.Equal((tcg.Process.User.Uid, tcg.Process.User.Gid), (kvm.Process.User.Uid, kvm.Process.User.Gid));
        Assert.Equal(tcg.Process.User.AdditionalGids, kvm.Process.User.AdditionalGids);
        Assert.Empty(kvm.Process.Capabilities.Bounding);
        Assert.Equal(OciSpecBuilder.ToJson(tcg with { Mounts = [], Linux = tcg.Linux with { Resources = tcg.Linux.Resources with { Devices = [] } } }),
            OciSpecBuilder.ToJson(kvm with { Mounts = [], Linux = kvm.Linux with { Resources = kvm.Linux.Resources with { Devices = [] } } }));
    }

    [Fact]
    public void The_tcg_jail_has_no_kvm_device()
    {
        var tcg = Spec();
        Assert.DoesNotContain(tcg.Mounts, m => m.Destination.StartsWith("/dev/kvm", StringComparison.Ordinal));
        Assert.Equal([new OciDeviceRule(false, Access: "rwm")], tcg.Linux.Resources.Devices);
    }

    [Fact]
    public void Only_the_io_directory_is_writable_and_the_vm_files_are_read_only()
    {
        var spec = Spec();
        Assert.True(spec.Root.Readonly);
        var binds = spec.Mounts.Where(m => m.Type == "bind").ToList();
        Assert.Equal(["/usr", "/etc/ld.so.cache", "/vm/vmlinuz", "/vm/initramfs.cpio", "/vm/rootfs.ext4", "/io"], binds.Select(m => m.Destination));
        Assert.All(binds.Where(m => m.Destination != "/io"), m => Assert.Contains("ro", m.Options));
        Assert.Contains("rw", binds.Single(m => m.Destination == "/io").Options);
        Assert.Empty(spec.Process.Capabilities.Effective);
        Assert.Empty(spec.Process.Capabilities.Bounding);
        Assert.True(spec.Process.NoNewPrivileges);
        Assert.Equal(["user", "mount", "pid", "ipc", "uts", "network", "cgroup"], spec.Linux.Namespaces.Select(n => n.Type));
        Assert.Equal((512L << 20) + VmmJail.OverheadBytes, spec.Linux.Resources.Memory!.Limit);
        Assert.True(spec.Linux.UidMappings[0].HostId >= IdRange.Base);
    }
}
