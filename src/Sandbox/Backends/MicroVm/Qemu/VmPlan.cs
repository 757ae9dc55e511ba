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

    /// <summary>
    /// Set when the run boots into, or restores, a VM template (docs/templates.md): the device model
    /// is then fixed whatever the run asks for (every 9p slot declared, the stdin port always there),
    /// so one saved state fits every run with the same key.
    /// </summary>
    public VmTemplatePlan? Template { get; init; }
}

/// <summary>
/// A template run's extras. <paramref name="SpareShares"/> fill the 9p slots the run's volumes
/// leave free (empty read-only directories of the jail). A capture has <paramref name="QmpSocket"/>
/// (QEMU's monitor, to pause and save the VM); a restore has <paramref name="IncomingSocket"/>, where
/// QEMU listens for the saved state (-incoming).
/// </summary>
public sealed record VmTemplatePlan(IReadOnlyList<VmShare> SpareShares, string? QmpSocket, string? IncomingSocket);

/// <summary>
/// One host directory the guest mounts by <paramref name="Tag"/>. ReadOnly is enforced by QEMU,
/// which refuses every 9p write, whatever the guest kernel does.
/// </summary>
public sealed record VmShare(string Tag, string Path, bool ReadOnly);
