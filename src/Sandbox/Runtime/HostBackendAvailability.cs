using Sandbox.Host;
using Sandbox.Policy;

namespace Sandbox.Runtime;

/// <summary>
/// The real host's answers to <see cref="IBackendAvailability"/>. The container backend needs an
/// OCI runtime; the microVM backend is not part of this build, so every microVM decision is refused
/// (fail closed) until it lands and replaces <see cref="Backend"/>'s and the kernel answers.
/// </summary>
public sealed class HostBackendAvailability : IBackendAvailability
{
    public const string NoMicroVm = "microVM backend not available on this build";

    private readonly Lazy<string> hostRelease = new(() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim());

    public Availability Backend(BackendKind backend) => backend switch
    {
        BackendKind.Container => ExecutableLocator.Find("crun") is { } crun
            ? Availability.Yes($"OCI runtime {crun}")
            : ExecutableLocator.Find("runc") is { } runc
                ? Availability.Yes($"OCI runtime {runc}")
                : Availability.No("container backend needs crun or runc, and neither is installed (make deps)"),
        BackendKind.MicroVm => Availability.No(NoMicroVm),
        _ => Availability.No("'auto' is not a backend"),
    };

    /// <summary>
    /// A kernel name ends in its version ("debian-5.10", "linux-4.19", or just "5.10"); the host
    /// provides it when its own release has the same major.minor. "host" always matches.
    /// </summary>
    public Availability HostKernel(string kernel) => KernelMatch.HostProvides(kernel, hostRelease.Value);

    public Availability GuestKernel(string kernel) => Availability.No($"no guest kernel catalog on this build ({NoMicroVm})");

    public AcceleratorAvailability Accelerator() =>
        File.Exists("/dev/kvm")
            ? new AcceleratorAvailability(Policy.Accelerator.Kvm, "/dev/kvm is present")
            : new AcceleratorAvailability(Policy.Accelerator.None, "/dev/kvm is absent");
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
