namespace Sandbox.Host.Probes;

/// <summary>Something a backend needs that this host lacks, and what to do about it.</summary>
public sealed record MissingRequirement(string Backend, string What, string Remedy);

/// <summary>
/// Pure: which backend requirements a report leaves unmet. The container backend needs cgroups, user
/// namespaces, seccomp, overlayfs, ID-mapped mounts on the state root and a runtime that works with this cgroup mode; the microVM backend needs
/// QEMU with the microvm machine and a fetched, intact default guest kernel. KVM is never required (without it microVMs use TCG).
/// </summary>
public static class HostRequirements
{
    public const string Container = "container";
    public const string MicroVm = "microVM";

    public static IReadOnlyList<MissingRequirement> Missing(HostReport report)
    {
        var missing = new List<MissingRequirement>();
        void Need(string backend, string what, bool ok, string? remedy)
        {
            if (!ok)
            {
                missing.Add(new MissingRequirement(backend, what, remedy ?? "see the detail above"));
            }
        }

        Need(Container, "cgroups", report.Cgroup.Ok, report.Cgroup.Remedy);
        Need(Container, "user namespaces", report.UserNamespaces.Ok, report.UserNamespaces.Remedy);
        Need(Container, "seccomp filters", report.Seccomp.Ok, report.Seccomp.Remedy);
        Need(Container, "overlayfs", report.Overlay.Ok, report.Overlay.Remedy);
        Need(Container, "ID-mapped mounts on the state root", report.IdMappedMounts.Ok, report.IdMappedMounts.Remedy);
        Need(Container, "an OCI runtime", UsableRuntimes(report).Count > 0, RuntimeRemedy(report));
        Need(MicroVm, "QEMU with the microvm machine", report.Qemu.Ok, report.Qemu.Remedy);
        Need(MicroVm, $"the guest kernel {report.GuestKernel.Name}", report.GuestKernel.Ok, report.GuestKernel.Remedy);
        return missing;
    }

    /// <summary>Installed runtimes that work with this host's cgroup mode (crun refuses hybrid mode).</summary>
    public static IReadOnlyList<string> UsableRuntimes(HostReport report) =>
        [.. report.OciRuntimes
            .Where(r => r.Ok && !(r.Name == "crun" && report.Cgroup.Mode == CgroupMode.Hybrid))
            .Select(r => r.Name)];

    private static string RuntimeRemedy(HostReport report)
    {
        OciRuntimeResult? runc = report.OciRuntimes.FirstOrDefault(r => r.Name == "runc");
        bool crunInstalled = report.OciRuntimes.Any(r => r.Name == "crun" && r.Ok);
        string install = runc?.Remedy ?? "apt-get install runc";
        return crunInstalled && report.Cgroup.Mode == CgroupMode.Hybrid
            ? $"crun refuses hybrid cgroups: {install}"
            : $"{install} (crun also works on cgroup2-only hosts)";
    }
}
