using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm.Jail;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class VmmJailPlanTests
{
    private static OciSpec Spec()
    {
        var seccomp = new OciSeccomp("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"], []);
        var plan = VmmJail.Plan("sb-000000000000", "/state/run/sb-000000000000/jail", "/state/run/sb-000000000000/io",
            new VmmJail.Files("/state/kernels/debian-6.1/vmlinuz", "/state/vm/initramfs/k.cpio", "/state/vm/disks/d.ext4"),
            ["/usr/bin/qemu-system-x86_64", "-nodefaults"], 512L << 20, 1, IdRange.ForSlot(3), seccomp);
        return OciSpecBuilder.Build(plan);
    }

    [Fact]
    public void The_vmm_bundle_is_stable() => Snapshot.Match("vmm-oci-config.json", OciSpecBuilder.ToJson(Spec()) + "\n");

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
