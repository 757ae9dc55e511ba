namespace Sandbox.Backends.MicroVm.Qemu;

/// <summary>
/// Everything the QEMU command line is made from. Paths are as the jailed VMM sees them.
/// </summary>
public sealed record VmPlan(
    IReadOnlyList<string> MachineOptions,
    IReadOnlyList<string> KernelCommandLine,
    Accelerator Accelerator,
    long MemoryMiB,
    int Cpus,
    string Kernel,
    string Initrd,
    string RootDisk,
    string ConsoleSocket,
    string ControlSocket,
    string StdoutSocket,
    string StderrSocket,
    string? StdinSocket)
{
    /// <summary>Host directories (named volumes) exported to the guest over virtio-9p.</summary>
    public IReadOnlyList<VmShare> Shares { get; init; } = [];

    /// <summary>
    /// -t: stdin is a virtio console (/dev/hvc0, a tty in the guest) instead of a plain port, so the
    /// guest's crun can put it in raw mode and copy keystrokes to the workload's own pty.
    /// </summary>
    public bool StdinIsTerminal { get; init; }
}

/// <summary>
/// One host directory the guest mounts by <paramref name="Tag"/>. ReadOnly is enforced by QEMU,
/// which refuses every 9p write, whatever the guest kernel does.
/// </summary>
public sealed record VmShare(string Tag, string Path, bool ReadOnly);
