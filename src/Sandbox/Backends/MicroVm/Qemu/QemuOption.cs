using System.Globalization;

namespace Sandbox.Backends.MicroVm.Qemu;

/// <summary>
/// One QEMU command-line option, rendered to argv words. Values are separate argv entries (no
/// shell), and a comma inside a value is doubled, QEMU's escape, so no value can add a property.
/// </summary>
public abstract record QemuOption
{
    public abstract IEnumerable<string> Render();

    internal static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    internal static string Props(string head, IEnumerable<KeyValuePair<string, string>> props) =>
        string.Join(',', props.Select(p => $"{p.Key}={Escape(p.Value)}").Prepend(head));
}

/// <summary>A flag without a value: -nodefaults, -no-user-config, -nographic, -no-reboot.</summary>
public sealed record QemuFlag(string Name) : QemuOption
{
    public override IEnumerable<string> Render() => [Name];
}

/// <summary>-machine TYPE,opt=value,... (options come from the kernel catalog, not from users).</summary>
public sealed record QemuMachine(string Type, IReadOnlyList<string> Options) : QemuOption
{
    public override IEnumerable<string> Render() => ["-machine", string.Join(',', Options.Prepend(Type))];
}

/// <summary>-accel kvm | tcg[,tb-size=MiB].</summary>
public sealed record QemuAccel(string Kind, int? TranslationBlockCacheMiB = null) : QemuOption
{
    public override IEnumerable<string> Render() =>
        ["-accel", TranslationBlockCacheMiB is { } tb ? string.Create(CultureInfo.InvariantCulture, $"{Kind},tb-size={tb}") : Kind];
}

/// <summary>-cpu MODEL.</summary>
public sealed record QemuCpu(string Model) : QemuOption
{
    public override IEnumerable<string> Render() => ["-cpu", Model];
}

/// <summary>-m SIZE in MiB.</summary>
public sealed record QemuMemory(long MiB) : QemuOption
{
    public override IEnumerable<string> Render() => ["-m", string.Create(CultureInfo.InvariantCulture, $"{MiB}M")];
}

/// <summary>-smp N.</summary>
public sealed record QemuSmp(int Cpus) : QemuOption
{
    public override IEnumerable<string> Render() => ["-smp", Cpus.ToString(CultureInfo.InvariantCulture)];
}

/// <summary>-kernel, -initrd and -append: direct kernel boot.</summary>
public sealed record QemuKernel(string Kernel, string Initrd, IReadOnlyList<string> CommandLine) : QemuOption
{
    public override IEnumerable<string> Render() => ["-kernel", Kernel, "-initrd", Initrd, "-append", string.Join(' ', CommandLine)];
}

/// <summary>-drive id=ID,file=PATH,format=raw,if=none[,readonly=on]: a backend for a -device.</summary>
public sealed record QemuDrive(string Id, string File, bool ReadOnly) : QemuOption
{
    public override IEnumerable<string> Render() =>
        ["-drive", Props($"id={Id}", [new("file", File), new("format", "raw"), new("if", "none"), new("readonly", ReadOnly ? "on" : "off")])];
}

/// <summary>
/// -fsdev local,...,security_model=mapped-xattr: a host directory for virtio-9p. Mapped-xattr keeps
/// the guest's owners, modes, symlinks and device nodes as user.virtfs.* attributes on plain files
/// and directories that the VMM creates as itself (mode fmode/dmode), so nothing the guest makes is
/// ever a host symlink, device or setuid file. readonly=on makes QEMU refuse every write.
/// </summary>
public sealed record QemuFsdev(string Id, string Path, bool ReadOnly) : QemuOption
{
    /// <summary>Host modes of what the guest creates: private to the volume's owner; the guest's own mode lives in xattrs.</summary>
    public const string FileMode = "0600";

    public const string DirectoryMode = "0700";

    public override IEnumerable<string> Render() =>
        ["-fsdev", Props($"local,id={Escape(Id)}", [
            new("path", Path), new("security_model", "mapped-xattr"), new("fmode", FileMode), new("dmode", DirectoryMode),
            .. ReadOnly ? [new KeyValuePair<string, string>("readonly", "on")] : Array.Empty<KeyValuePair<string, string>>(),
        ])];
}

/// <summary>-device DRIVER,prop=value,...</summary>
public sealed record QemuDevice(string Driver, IReadOnlyList<KeyValuePair<string, string>> Properties) : QemuOption
{
    public override IEnumerable<string> Render() => ["-device", Props(Driver, Properties)];
}

/// <summary>-chardev BACKEND,id=ID,prop=value,...: a host-side character device (socket, file).</summary>
public sealed record QemuChardev(string Backend, string Id, IReadOnlyList<KeyValuePair<string, string>> Properties) : QemuOption
{
    public override IEnumerable<string> Render() => ["-chardev", Props($"{Backend},id={Escape(Id)}", Properties)];
}

/// <summary>-serial chardev:ID: the machine's ISA serial port (the guest console, ttyS0).</summary>
public sealed record QemuSerial(string ChardevId) : QemuOption
{
    public override IEnumerable<string> Render() => ["-serial", $"chardev:{ChardevId}"];
}

/// <summary>-sandbox on,...: QEMU's own seccomp filter, everything it can deny denied.</summary>
public sealed record QemuSandbox : QemuOption
{
    public override IEnumerable<string> Render() =>
        ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"];
}

/// <summary>-mon chardev=ID,mode=control: QEMU's machine protocol (QMP) on a chardev (template captures only).</summary>
public sealed record QemuMonitor(string ChardevId) : QemuOption
{
    public override IEnumerable<string> Render() => ["-mon", $"chardev={Escape(ChardevId)},mode=control"];
}

/// <summary>-incoming URI: start by loading a saved VM state from URI instead of booting (a template restore).</summary>
public sealed record QemuIncoming(string Uri) : QemuOption
{
    public override IEnumerable<string> Render() => ["-incoming", Uri];
}
