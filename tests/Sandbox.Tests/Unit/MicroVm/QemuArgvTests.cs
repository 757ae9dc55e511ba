using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class QemuArgvTests
{
    private static VmPlan Plan(Accelerator accel, bool stdin) => new(
        ["acpi=on", "pit=on", "pic=on", "rtc=on"], ["console=ttyS0", "reboot=t", "panic=-1", "quiet"], accel, 512, 1,
        "/vm/vmlinuz", "/vm/initramfs.cpio", "/vm/rootfs.ext4", "/io/console.log",
        "/io/control.sock", "/io/stdout.sock", "/io/stderr.sock", stdin ? "/io/stdin.sock" : null);

    [Fact]
    public void Tcg_argv_is_stable() =>
        Snapshot.Match("qemu-argv-tcg.txt", string.Join('\n', QemuCommandLine.Render(Plan(Accelerator.Tcg, stdin: false))) + "\n");

    [Fact]
    public void Kvm_argv_with_stdin_is_stable() =>
        Snapshot.Match("qemu-argv-kvm-stdin.txt", string.Join('\n', QemuCommandLine.Render(Plan(Accelerator.Kvm, stdin: true))) + "\n");

    [Fact]
    public void The_vm_has_no_network_and_only_virtio_mmio_block_and_serial_devices()
    {
        var argv = QemuCommandLine.Render(Plan(Accelerator.Tcg, stdin: true));
        var devices = argv.Zip(argv.Skip(1)).Where(p => p.First == "-device").Select(p => p.Second.Split(',')[0]).Distinct();
        Assert.Equal(["virtio-blk-device", "virtio-serial-device", "virtserialport"], devices);
        Assert.DoesNotContain(argv, a => a.StartsWith("-net", StringComparison.Ordinal));
        Assert.Contains("-nodefaults", argv);
        Assert.Contains("-no-user-config", argv);
        Assert.Contains("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", argv);
        Assert.Contains(argv, a => a.Contains("readonly=on", StringComparison.Ordinal));
    }

    [Fact]
    public void A_comma_in_a_path_cannot_add_a_property() =>
        Assert.Equal(["-drive", "id=root,file=/x,,readonly=off,format=raw,if=none,readonly=on"],
            new QemuDrive("root", "/x,readonly=off", ReadOnly: true).Render());
}
