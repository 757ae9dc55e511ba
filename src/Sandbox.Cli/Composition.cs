using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox.Cli;

/// <summary>Wires the library's parts together: the one place that knows the concrete implementations.</summary>
internal static class Composition
{
    public static Launcher Launcher(StateRoot root) =>
        new(root, name => OciSeccompEmitter.Emit(ProfileCatalog.Resolve(name)), Engine(root), new TimedAcceleratorProbe(root));

    public static PolicyEngine Engine(StateRoot root) =>
        new(new HostBackendAvailability(root, new TimedAcceleratorProbe(root)), ProfileCatalog.Resolve);
}
