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
    string ConsoleLog,
    string ControlSocket,
    string StdoutSocket,
    string StderrSocket,
    string? StdinSocket);
