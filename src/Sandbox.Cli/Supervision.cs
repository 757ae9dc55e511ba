using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sandbox.Lifecycle;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli;

/// <summary>
/// The hidden `supervise ID RUN-ARGUMENTS...` verb: what `run -d` execs (through setsid) to become
/// the sandbox's supervisor. It is not in the command tree (so never in --help): Program strips it
/// and parses the run's own arguments again, and `run` then hosts <see cref="SupervisorService"/>.
/// </summary>
internal static class Supervision
{
    /// <summary>The sandbox this process supervises; null in every other process.</summary>
    public static string? Id { get; private set; }

    /// <summary>The arguments as given (after the raw-bytes pass): what `run -d` hands its supervisor.</summary>
    public static IReadOnlyList<string> Arguments { get; private set; } = [];

    public static string[] Enter(string[] args)
    {
        if (args.Length >= 2 && args[0] == "supervise")
        {
            Id = args[1];
            args = args[2..];
        }

        Arguments = args;
        return args;
    }

    public static async Task<int> RunAsync(string id, RunRequest request, StateRoot root, bool remove, RestartPolicy restart)
    {
        var paths = new SandboxPaths(root, id);
        SupervisorProcess.DetachStdio(paths);
        using var held = await TakeLockAsync(paths.Lock).ConfigureAwait(false)
            ?? throw new SandboxException(ErrorKind.StateConflict, $"sandbox {id} already has a supervisor");
        using (var store = SandboxStore.Open(root))
        {
            // Only a row still waiting for its supervisor: a reconcile may have given up on a start whose `run -d` was killed.
            if (!store.TryClaim(id, Environment.ProcessId))
            {
                throw new SandboxException(ErrorKind.StateConflict, $"sandbox {id} is no longer waiting for a supervisor (its start was given up)");
            }
        }

        var options = SandboxOptions.From(Environment.GetEnvironmentVariable);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSandbox(root, o => o.Configure(Environment.GetEnvironmentVariable));
        if (options.Debug)
        {
            builder.Services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new StderrLoggerProvider()));
        }

        builder.Services.AddSingleton(new SupervisedRun(request with { Id = id }, paths, root, remove, options.LogMaxBytes) { Restart = restart });
        builder.Services.AddHostedService<SupervisorService>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2)); // the workload's grace, then its teardown
        using var host = builder.Build();
        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }

    // A reconcile's liveness probe holds the lock for an instant: a few tries tell that from a second supervisor.
    private static async Task<SupervisorLock?> TakeLockAsync(string path)
    {
        for (int i = 0; ; i++)
        {
            if (SupervisorLock.TryTake(path) is { } held)
            {
                return held;
            }

            if (i == 20)
            {
                return null;
            }

            await Task.Delay(25).ConfigureAwait(false);
        }
    }
}
