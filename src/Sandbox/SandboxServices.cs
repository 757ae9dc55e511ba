using Microsoft.Extensions.DependencyInjection;
using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm;
using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox;

/// <summary>
/// The composition root's one call: every service with state or I/O, wired once, for the CLI now and
/// a supervisor later. Pure functions (spec builders, argv, policy evaluation rules) stay static
/// and are not registered.
/// </summary>
public static class SandboxServices
{
    /// <param name="root">The state root the command line named (--root, SANDBOX_ROOT or the default).</param>
    /// <param name="configure">Sets the environment's knobs (<see cref="SandboxOptions.Configure"/> from the process environment, in the CLI).</param>
    public static IServiceCollection AddSandbox(this IServiceCollection services, StateRoot root, Action<SandboxOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddLogging(); // no provider unless the host adds one: silent by default
        services.AddOptions<SandboxOptions>().Configure(configure);
        services.AddSingleton(root);
        services.AddSingleton<Func<string, OciSeccomp>>(_ => name => OciSeccompEmitter.Emit(ProfileCatalog.Resolve(name)));
        services.AddSingleton<IAcceleratorProbe>(_ => new TimedAcceleratorProbe(root));
        services.AddSingleton<IBackendAvailability, HostBackendAvailability>();
        services.AddSingleton(s => new PolicyEngine(s.GetRequiredService<IBackendAvailability>(), ProfileCatalog.Resolve));

        // The backends: a new one is one more line here and a name in the policy vocabulary.
        services.AddSingleton<ContainerBackend>();
        services.AddSingleton<ISandboxBackend>(s => s.GetRequiredService<ContainerBackend>());
        services.AddSingleton<ISandboxBackend, MicroVmBackend>();
        services.AddSingleton<BackendRegistry>();

        services.AddSingleton<Launcher>();
        return services;
    }
}
