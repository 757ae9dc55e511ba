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

    private static Task<int> RunAsync(RunOptions options, ParseResult r, CancellationToken ct)
    {
        if (r.GetValue(options.Detach))
        {
            throw new SandboxException(ErrorKind.Refused, "refused: -d/--detach: detached sandboxes are not available yet",
                "run in the foreground");
        }

        if (r.GetValue(options.Name) is not null)
        {
            throw new SandboxException(ErrorKind.Refused, "refused: --name: named sandboxes are not available yet",
                "drop --name; `sandbox audit` records each run under its generated ID");
        }

        RunRequest request = options.ToRequest(r);
        return Composition.Launcher(GlobalOptions.StateRootFrom(r)).RunAsync(request, WorkloadIo.Console(request.Interactive, request.Terminal), ct);
    }
}
