using Sandbox.Host.Files;

namespace Sandbox.Host.Probes;

/// <summary>
/// Everything `sandbox doctor` knows about what this host can isolate with. Each item carries
/// <c>Ok</c>, a one-line <c>Detail</c>, and a <c>Remedy</c> when something can be done about it.
/// </summary>
public sealed record HostReport(
    string Kernel,
    CgroupResult Cgroup,
    UserNamespaceResult UserNamespaces,
    SeccompResult Seccomp,
    OverlayResult Overlay,
    IdmapResult IdMappedMounts,
    IReadOnlyList<OciRuntimeResult> OciRuntimes,
    KvmResult Kvm,
    QemuResult Qemu,
    GuestKernelResult GuestKernel)
{
    /// <summary>
    /// Runs every probe; the ones that start programs or a guest run concurrently. Takes about as long as the
    /// slowest probe (the KVM guest: milliseconds on hardware, under a second when KVM is emulated, 5 s at most).
    /// </summary>
    /// <param name="root">The state root whose file system must support ID-mapped mounts.</param>
    public static async Task<HostReport> Collect(Runtime.StateRoot root, CancellationToken cancellationToken)
    {
        // KVM first: its native reference loop is timed before the other probes start programs.
        Task<KvmResult> kvm = KvmProbe.RunAsync(cancellationToken);
        Task<UserNamespaceResult> userNamespaces = UserNamespaceProbe.RunAsync(cancellationToken);
        Task<IReadOnlyList<OciRuntimeResult>> runtimes = OciRuntimeProbe.RunAsync(cancellationToken);
        Task<QemuResult> qemu = QemuProbe.RunAsync(cancellationToken);

        string kernel = ProcFiles.ReadText("/proc/sys/kernel/osrelease")?.Trim() ?? "unknown";
        CgroupResult cgroup = CgroupProbe.Run();
        SeccompResult seccomp = SeccompProbe.Run();
        OverlayResult overlay = OverlayProbe.Run();
        IdmapResult idmap = IdmapProbe.Run(root);
        GuestKernelResult guestKernel = GuestKernelProbe.Run(root);

        return new HostReport(
            kernel,
            cgroup,
            await userNamespaces.ConfigureAwait(false),
            seccomp,
            overlay,
            idmap,
            await runtimes.ConfigureAwait(false),
            await kvm.ConfigureAwait(false),
            await qemu.ConfigureAwait(false),
            guestKernel);
    }
}
