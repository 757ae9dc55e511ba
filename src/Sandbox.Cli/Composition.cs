using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm;
using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox.Cli;

/// <summary>Wires the library's parts together: the one place that knows the concrete implementations.</summary>
internal static class Composition
{
    public static Launcher Launcher(StateRoot root)
    {
        var options = SandboxOptions.From(Environment.GetEnvironmentVariable);
        Func<string, OciSeccomp> seccomp = name => OciSeccompEmitter.Emit(ProfileCatalog.Resolve(name));
        var container = new ContainerBackend(root, seccomp, options);
        var backends = new BackendRegistry([container, new MicroVmBackend(root, container, seccomp, options)]);
        return new(root, seccomp, Engine(root), backends);
    }

    public static PolicyEngine Engine(StateRoot root) =>
        new(new HostBackendAvailability(root, new TimedAcceleratorProbe(root)), ProfileCatalog.Resolve);
}
