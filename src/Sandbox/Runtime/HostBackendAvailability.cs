using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Host;
using Sandbox.Policy;

namespace Sandbox.Runtime;

/// <summary>
/// The real host's answers to <see cref="IBackendAvailability"/>: the container backend needs an OCI
/// runtime; the microVM backend needs QEMU, a fetched and intact guest kernel, and an accelerator
/// (hardware KVM by a timed probe, else QEMU's TCG emulation, which a rule must accept).
/// </summary>
public sealed class HostBackendAvailability(StateRoot root, IAcceleratorProbe accelerators) : IBackendAvailability
{
    private readonly Lazy<string> hostRelease = new(() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim());

    public Availability Backend(BackendKind backend) => backend switch
    {
        BackendKind.Container => ExecutableLocator.Find("crun") is { } crun
            ? Availability.Yes($"OCI runtime {crun}")
            : ExecutableLocator.Find("runc") is { } runc
                ? Availability.Yes($"OCI runtime {runc}")
                : Availability.No("container backend needs crun or runc, and neither is installed (make deps)"),
        BackendKind.MicroVm => ExecutableLocator.Find(QemuCommandLine.Binary) is { } qemu
            ? Availability.Yes($"QEMU {qemu}")
            : Availability.No($"the microVM backend needs {QemuCommandLine.Binary}, which is not installed (apt-get install qemu-system-x86)"),
        _ => Availability.No("'auto' is not a backend"),
    };

    /// <summary>
    /// A kernel name ends in its version ("debian-5.10", "linux-4.19", or just "5.10"); the host
    /// provides it when its own release has the same major.minor. "host" always matches.
    /// </summary>
    public Availability HostKernel(string kernel) => KernelMatch.HostProvides(kernel, hostRelease.Value);

    public Availability GuestKernel(string kernel)
    {
        KernelCatalog catalog = KernelCatalog.BuiltIn;
        var store = new KernelStore(root);
        string name = kernel == "default" ? catalog.Choose(null, store.IsInstalled).Name : kernel;
        if (catalog.Entries.All(e => e.Name != name))
        {
            return Availability.No($"'{name}' is not in the kernel catalog ({string.Join(", ", catalog.Entries.Select(e => e.Name))})");
        }

        return store.ReadManifest(name) is { } manifest
            ? Availability.Yes($"{name} {manifest.Version} is {(manifest.Build is null ? "fetched" : "built")}")
            : Availability.No($"guest kernel {name} is not {(catalog.Get(name).Build is null ? "fetched" : "built")} yet ({catalog.Get(name).InstallCommand})");
    }

    public AcceleratorAvailability Accelerator() =>
        accelerators.Detect() == Backends.MicroVm.Qemu.Accelerator.Kvm
            ? new AcceleratorAvailability(Policy.Accelerator.Kvm, "a timed guest shows hardware virtualization")
            : ExecutableLocator.Find(QemuCommandLine.Binary) is not null
                ? new AcceleratorAvailability(Policy.Accelerator.Emulation, "no hardware virtualization (a timed KVM guest is absent or emulated); QEMU TCG emulates")
                : new AcceleratorAvailability(Policy.Accelerator.None, "no hardware virtualization and no QEMU");
}

/// <summary>The naming rule behind <see cref="HostBackendAvailability.HostKernel"/>; pure, so it is unit-tested.</summary>
public static class KernelMatch
{
    public static Availability HostProvides(string kernel, string hostRelease)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(hostRelease);
        if (kernel == "host")
        {
            return Availability.Yes($"the host kernel is {hostRelease}");
        }

        string version = kernel[(kernel.LastIndexOf('-') + 1)..];
        string[] host = hostRelease.Split('.', '-');
        bool same = host.Length >= 2 && version == $"{host[0]}.{host[1]}";
        return same
            ? Availability.Yes($"the host kernel {hostRelease} is {version}")
            : Availability.No($"the host kernel is {hostRelease}, not {version}");
    }
}
