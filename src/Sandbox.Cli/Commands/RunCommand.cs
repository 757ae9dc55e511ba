using System.CommandLine;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox run [flags] IMAGE [--] [CMD [ARG...]]`.</summary>
internal static class RunCommand
{
    public static Command Build()
    {
        var command = new Command("run", "Run a workload in a sandbox");
        var options = new RunOptions();
        options.AddTo(command);
        command.SetAction((result, ct) => ErrorReporter.GuardAsync(() => RunAsync(options, result, ct)));
        return command;
    }

    private static async Task<int> RunAsync(RunOptions options, ParseResult r, CancellationToken ct)
    {
        StateRoot root = GlobalOptions.StateRootFrom(r);
        bool detach = r.GetValue(options.Detach);
        RunRequest request = options.ToRequest(r);
        var restart = Lifecycle.RestartPolicy.Parse(r.GetValue(options.Restart));
        if (Supervision.Id is { } id)
        {
            return await Supervision.RunAsync(id, request, root, r.GetValue(options.Remove), restart).ConfigureAwait(false);
        }

        if (restart != Lifecycle.RestartPolicy.No && (!detach || r.GetValue(options.Remove)))
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"--restart {r.GetValue(options.Restart)}: only a detached sandbox without --rm restarts",
                "add -d (and drop --rm), or drop --restart");
        }

        if (!detach)
        {
            if (request.Name is not null)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, "--name: only a detached sandbox (-d) has a name",
                    "add -d to keep it under that name, or drop --name; a foreground run is removed when it ends");
            }

            return await Composition.Launcher(root).RunAsync(request, WorkloadIo.Console(request.Interactive, request.Terminal), ct).ConfigureAwait(false);
        }

        if (request.Interactive || request.Terminal)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, "-d cannot be combined with -i or -t: a detached sandbox has no terminal to read",
                "drop -i/-t, or run in the foreground");
        }

        string started = await Lifecycle.DetachedStart.StartAsync(root, request, Supervision.Arguments, ct).ConfigureAwait(false);
        Console.Out.WriteLine(started);
        return 0;
    }
}
