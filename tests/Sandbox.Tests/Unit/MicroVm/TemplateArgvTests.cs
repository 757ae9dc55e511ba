using Sandbox.Backends.MicroVm;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Backends.MicroVm.Templates;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

/// <summary>The VM template's QEMU argv (capture and -incoming restore), its key and manifest, and the identity line: pure functions.</summary>
public sealed class TemplateArgvTests
{
    private static readonly VmShare[] Spares = [.. Enumerable.Range(1, 5).Select(i => new VmShare($"vol{i}", $"/volumes/{i}", ReadOnly: true))];

    private static VmPlan Plan(VmTemplatePlan template, bool stdin = false) => new(
        ["acpi=off", "pit=on", "pic=on", "rtc=on"], ["console=ttyS0", "reboot=t", "panic=-1", "quiet"], Accelerator.Tcg, 160, 1,
        "/vm/vmlinuz", "/vm/initramfs.cpio", "/vm/rootfs.ext4", "/io/console.sock",
        "/io/control.sock", "/io/stdout.sock", "/io/stderr.sock", stdin ? "/io/stdin.sock" : null)
    {
        Shares = [new VmShare("vol0", "/volumes/0", ReadOnly: false)],
        Template = template,
    };

    private static readonly VmTemplatePlan Capture = new(Spares, QmpSocket: "/io/qmp.sock", IncomingSocket: null);
    private static readonly VmTemplatePlan Restore = new(Spares, QmpSocket: null, IncomingSocket: "/io/incoming.sock");

    [Fact]
    public void Capture_argv_is_stable() =>
        Snapshot.Match("qemu-argv-template-capture.txt", string.Join('\n', QemuCommandLine.Render(Plan(Capture))) + "\n");

    [Fact]
    public void Restore_argv_is_stable() =>
        Snapshot.Match("qemu-argv-template-restore.txt", string.Join('\n', QemuCommandLine.Render(Plan(Restore, stdin: true))) + "\n");

    // The saved state only fits a QEMU with the same devices in the same order: whatever the run's
    // volumes and stdin, a capture and a restore declare the same device list.
    [Fact]
    public void Capture_and_restore_declare_the_same_devices_whatever_the_run_has()
    {
        static string[] Devices(IReadOnlyList<string> argv) => [.. argv.Zip(argv.Skip(1)).Where(p => p.First == "-device").Select(p => p.Second)];
        var captured = Devices(QemuCommandLine.Render(Plan(Capture)));
        var restored = Devices(QemuCommandLine.Render(Plan(Restore, stdin: true)));
        Assert.Equal(captured, restored);
        Assert.Equal(QemuCommandLine.MaxShares, captured.Count(d => d.StartsWith("virtio-9p-device", StringComparison.Ordinal)));
        Assert.Contains("virtserialport,chardev=stdin,name=sandbox.stdin", captured);
        var restore = QemuCommandLine.Render(Plan(Restore));
        Assert.Equal("unix:/io/incoming.sock", restore[restore.ToList().IndexOf("-incoming") + 1]);
        Assert.DoesNotContain("-mon", restore); // a restore needs no monitor: the state was saved running, so it resumes running
    }

    [Fact]
    public void A_cold_boot_without_templates_keeps_its_argv()
    {
        var plain = Plan(Capture) with { Template = null };
        var argv = QemuCommandLine.Render(plain);
        Assert.DoesNotContain("-incoming", argv);
        Assert.DoesNotContain("-mon", argv);
        Assert.Single(argv, a => a.StartsWith("virtio-9p-device", StringComparison.Ordinal));
    }

    private static readonly TemplateKey Key = new("k".PadRight(64, '0'), "initramfs.cpio", "disk", 160, 1, "tcg", ["acpi=off"], ["console=ttyS0"], "q".PadRight(64, '0'));

    [Fact]
    public void Every_field_of_the_key_changes_its_digest()
    {
        TemplateKey[] changed =
        [
            Key with { KernelSha256 = "x" }, Key with { Initramfs = "x" }, Key with { RootDisk = "x" }, Key with { MemoryMiB = 161 },
            Key with { Cpus = 2 }, Key with { Accelerator = "kvm" }, Key with { MachineOptions = ["acpi=on"] },
            Key with { KernelCommandLine = ["console=ttyS0", "quiet"] }, Key with { QemuSha256 = "x" },
        ];
        Assert.Equal(changed.Length + 1, changed.Select(k => k.Digest).Append(Key.Digest).Distinct().Count());
        Assert.StartsWith(TemplateKey.FormatVersion + "\n", Key.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_round_trips_and_a_damaged_one_is_refused()
    {
        string sha = new('a', 64);
        string text = TemplateStore.FormatManifest(Key.Text, $"{Key.Digest}-aaaa.state", 1234, sha);
        Assert.Equal((Key.Text, $"{Key.Digest}-aaaa.state", 1234L, sha), TemplateStore.ParseManifest(text));
        Assert.Null(TemplateStore.ParseManifest(text[..40])); // torn
        Assert.Null(TemplateStore.ParseManifest(text.Replace("size 1234", "size -1", StringComparison.Ordinal)));
        Assert.Null(TemplateStore.ParseManifest(text.Replace(sha, "A" + sha[1..], StringComparison.Ordinal)));
        Assert.Null(TemplateStore.ParseManifest("other-format\n" + text));
    }

    [Fact]
    public void Templates_are_used_only_when_policy_allows_and_the_run_fits_the_device_model()
    {
        var w = new Sandbox.Backends.WorkloadSpec("sb-1", null!, ["true"], [], "/", 0, 0, "h", Sandbox.Policy.ResourceLimits.Default)
        {
            Seccomp = new("SCMP_ACT_ERRNO", 1, ["SCMP_ARCH_X86_64"], []), SeccompProfile = "default", Templates = true,
        };
        Assert.Equal((Key, "booted"), MicroVmBackend.ChooseTemplate(w, Key));
        Assert.Equal((null, "booted (templates: false in the deciding policy rule)"), MicroVmBackend.ChooseTemplate(w with { Templates = false }, Key));
        Assert.Null(MicroVmBackend.ChooseTemplate(w with { Terminal = new Sandbox.Host.TerminalSize(24, 80) }, Key).Key);
        Assert.Null(MicroVmBackend.ChooseTemplate(w with { ReportPath = "/tmp/r" }, Key).Key);
    }

    [Fact]
    public void The_identity_line_carries_entropy_clock_and_machine_id()
    {
        byte[] entropy = [.. Enumerable.Range(0, GuestIdentity.EntropyBytes).Select(i => (byte)i)];
        string line = GuestIdentity.Line(entropy, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), new byte[16]);
        Assert.Equal($"identity {Convert.ToHexStringLower(entropy)} 1700000000 123000000 {new string('0', 32)}\n", line);
        Assert.NotEqual(GuestIdentity.Fresh(), GuestIdentity.Fresh()); // fresh getrandom bytes every run
    }
}
