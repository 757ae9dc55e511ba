using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
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
    /// <remarks>
    /// Every service is built by a factory, never by constructor discovery: under NativeAOT the
    /// container otherwise builds generic types (IOptions&lt;T&gt;, ILogger&lt;T&gt;, IEnumerable&lt;T&gt;)
    /// by reflection at run time, ~10% of a run's launcher CPU (docs/benchmarks.md). Logging goes
    /// to whatever ILoggerFactory the composition root added (SANDBOX_DEBUG=1, the supervisor's host),
    /// and nowhere when it added none.
    /// </remarks>
    public static IServiceCollection AddSandbox(this IServiceCollection services, StateRoot root, Action<SandboxOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton<IOptions<SandboxOptions>>(_ =>
        {
            var options = new SandboxOptions();
            configure(options);
            return Options.Create(options);
        });
        services.AddSingleton(root);
        services.AddSingleton<Func<string, OciSeccomp>>(_ => name => OciSeccompEmitter.Emit(ProfileCatalog.Resolve(name)));
        services.AddSingleton<IAcceleratorProbe>(_ => new TimedAcceleratorProbe(root));
        services.AddSingleton<IBackendAvailability>(s => new HostBackendAvailability(root, s.GetRequiredService<IAcceleratorProbe>()));
        services.AddSingleton(s => new PolicyEngine(s.GetRequiredService<IBackendAvailability>(), ProfileCatalog.Resolve));

        // The backends: a new one is one more line here, one in the registry and a name in the policy vocabulary.
        services.AddSingleton(s => new ContainerBackend(root, Seccomp(s), Configured(s), Log<ContainerBackend>(s)));
        services.AddSingleton(s => new MicroVmBackend(root, s.GetRequiredService<ContainerBackend>(), Seccomp(s), Configured(s)));
        services.AddSingleton(s => new BackendRegistry([s.GetRequiredService<ContainerBackend>(), s.GetRequiredService<MicroVmBackend>()]));

        services.AddSingleton(s => new Launcher(
            root, Seccomp(s), s.GetRequiredService<PolicyEngine>(), s.GetRequiredService<BackendRegistry>(), Configured(s), Log<Launcher>(s)));
        return services;
    }

    private static Func<string, OciSeccomp> Seccomp(IServiceProvider s) => s.GetRequiredService<Func<string, OciSeccomp>>();

    private static IOptions<SandboxOptions> Configured(IServiceProvider s) => s.GetRequiredService<IOptions<SandboxOptions>>();

    private static ILogger<T> Log<T>(IServiceProvider s) => (s.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<T>();
}
