using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Cli;

/// <summary>
/// The CLI's composition root: the library's services for the state root the command line named,
/// the environment's knobs read here and only here, debug logging on stderr with SANDBOX_DEBUG=1.
/// </summary>
internal static class Composition
{
    public static ServiceProvider Services(StateRoot root)
    {
        var options = SandboxOptions.From(Environment.GetEnvironmentVariable);
        var services = new ServiceCollection().AddSandbox(root, o => o.Configure(Environment.GetEnvironmentVariable));
        if (options.Debug)
        {
            services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new StderrLoggerProvider()));
        }

        return services.BuildServiceProvider();
    }

    public static Launcher Launcher(StateRoot root) => Services(root).GetRequiredService<Launcher>();

    public static PolicyEngine Engine(StateRoot root) => Services(root).GetRequiredService<PolicyEngine>();
}
