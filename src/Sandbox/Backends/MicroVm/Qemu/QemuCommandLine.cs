namespace Sandbox.Backends.MicroVm.Qemu;

/// <summary>
/// The QEMU argv for one microVM: the `microvm` machine with nothing but a read-only virtio-mmio
/// disk, one virtio-serial device whose ports carry the guest protocol and one virtio-9p device per
/// named volume; no network device, no default devices or config files, QEMU's own seccomp on.
/// Pure: snapshot-tested.
/// </summary>
public static class QemuCommandLine
{
    public const string Binary = "qemu-system-x86_64";

    /// <summary>TCG's translated-code cache, bounded so the VMM's memory limit can account for it.</summary>
    public const int TcgCacheMiB = 64;

    /// <summary>
    /// microvm has eight virtio-mmio transports; the root disk and the serial device take two.
    /// </summary>
    public const int MaxShares = 6;

    public static IReadOnlyList<QemuOption> Options(VmPlan plan)
    {
        var options = new List<QemuOption>
        {
            new QemuFlag("-nodefaults"),
            new QemuFlag("-no-user-config"),
            new QemuFlag("-nographic"),
            new QemuFlag("-no-reboot"), // the guest's `reboot -f` ends QEMU
            new QemuMachine("microvm", plan.MachineOptions),
            plan.Accelerator == Accelerator.Kvm ? new QemuAccel("kvm") : new QemuAccel("tcg", TcgCacheMiB),
            new QemuCpu(plan.Accelerator == Accelerator.Kvm ? "host" : "max"),
            new QemuMemory(plan.MemoryMiB),
            new QemuSmp(plan.Cpus),
            new QemuKernel(plan.Kernel, plan.Initrd, plan.KernelCommandLine),
            // The console goes to the launcher, which keeps a bounded tail: never a file the guest can grow.
            new QemuChardev("socket", "console", [new("path", plan.ConsoleSocket)]),
            new QemuSerial("console"),
            new QemuDrive("root", plan.RootDisk, ReadOnly: true),
            new QemuDevice("virtio-blk-device", [new("drive", "root")]),
            new QemuDevice("virtio-serial-device", [new("max_ports", "5")]),
        };
        foreach (var share in plan.Template is { } t ? [.. plan.Shares, .. t.SpareShares] : plan.Shares)
        {
            options.Add(new QemuFsdev(share.Tag, share.Path, share.ReadOnly));
            options.Add(new QemuDevice("virtio-9p-device", [new("fsdev", share.Tag), new("mount_tag", share.Tag)]));
        }

        AddPort(options, "control", plan.ControlSocket);
        AddPort(options, "stdout", plan.StdoutSocket);
        AddPort(options, "stderr", plan.StderrSocket);
        if (plan.StdinSocket is { } stdin)
        {
            AddPort(options, "stdin", stdin, plan.StdinIsTerminal ? "virtconsole" : "virtserialport");
        }
        else if (plan.Template is not null)
        {
            // A template's device model always has the stdin port; a run without stdin leaves it unconnected.
            options.Add(new QemuChardev("null", "stdin", []));
            options.Add(new QemuDevice("virtserialport", [new("chardev", "stdin"), new("name", "sandbox.stdin")]));
        }

        if (plan.Template?.QmpSocket is { } qmp)
        {
            options.Add(new QemuChardev("socket", "qmp", [new("path", qmp)]));
            options.Add(new QemuMonitor("qmp"));
        }

        if (plan.Template?.IncomingSocket is { } incoming)
        {
            options.Add(new QemuIncoming($"unix:{incoming}"));
        }

        options.Add(new QemuSandbox());
        return options;
    }

    public static IReadOnlyList<string> Render(VmPlan plan) => [.. Options(plan).SelectMany(o => o.Render())];

    // A virtio-serial port named sandbox.NAME, connected (QEMU as the client) to the launcher's socket.
    private static void AddPort(List<QemuOption> options, string name, string socket, string device = "virtserialport")
    {
        options.Add(new QemuChardev("socket", name, [new("path", socket)]));
        options.Add(new QemuDevice(device, [new("chardev", name), new("name", $"sandbox.{name}")]));
    }
}
