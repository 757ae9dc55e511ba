using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class QemuArgvTests
{
    private static VmPlan Plan(Accelerator accel, bool stdin) => new(
        ["acpi=on", "pit=on", "pic=on", "rtc=on"], ["console=ttyS0", "reboot=t", "panic=-1", "quiet"], accel, 512, 1,
        "/vm/vmlinuz", "/vm/initramfs.cpio", "/vm/rootfs.ext4", "/io/console.sock",
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
    public void Volumes_argv_is_stable() =>
        Snapshot.Match("qemu-argv-volumes.txt", string.Join('\n', QemuCommandLine.Render(Plan(Accelerator.Tcg, stdin: false) with
        {
            Shares = [new VmShare("vol0", "/volumes/0", ReadOnly: false), new VmShare("vol1", "/volumes/1", ReadOnly: true)],
        })) + "\n");

    [Fact]
    public void Every_volume_is_a_mapped_xattr_9p_export_and_read_only_ones_are_refused_writes_by_qemu()
    {
        var argv = QemuCommandLine.Render(Plan(Accelerator.Tcg, stdin: false) with
        {
            Shares = [new VmShare("vol0", "/volumes/0", ReadOnly: false), new VmShare("vol1", "/volumes/1", ReadOnly: true)],
        });
        var fsdevs = argv.Zip(argv.Skip(1)).Where(p => p.First == "-fsdev").Select(p => p.Second.Split(',')).ToList();
        Assert.Equal(2, fsdevs.Count);
        Assert.All(fsdevs, f => Assert.Contains("security_model=mapped-xattr", f));
        Assert.DoesNotContain("readonly=on", fsdevs[0]);
        Assert.Contains("readonly=on", fsdevs[1]);
        Assert.Contains("virtio-9p-device,fsdev=vol1,mount_tag=vol1", argv);
    }

    [Fact]
    public void A_comma_in_a_volume_path_cannot_add_a_property() =>
        Assert.Equal(["-fsdev", "local,id=v,path=/x,,readonly=off,security_model=mapped-xattr,fmode=0600,dmode=0700,readonly=on"],
            new QemuFsdev("v", "/x,readonly=off", ReadOnly: true).Render());

    [Fact]
    public void A_comma_in_a_path_cannot_add_a_property() =>
        Assert.Equal(["-drive", "id=root,file=/x,,readonly=off,format=raw,if=none,readonly=on"],
            new QemuDrive("root", "/x,readonly=off", ReadOnly: true).Render());

    [Fact]
    public void With_a_terminal_stdin_is_a_virtio_console_and_nothing_else_changes()
    {
        var plain = QemuCommandLine.Render(Plan(Accelerator.Tcg, stdin: true));
        var tty = QemuCommandLine.Render(Plan(Accelerator.Tcg, stdin: true) with { StdinIsTerminal = true });
        Assert.Contains("virtconsole,chardev=stdin,name=sandbox.stdin", tty);
        Assert.Equal(plain.Select(a => a.Replace("virtserialport,chardev=stdin", "virtconsole,chardev=stdin", StringComparison.Ordinal)), tty);
    }
}
