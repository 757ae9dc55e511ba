using System.CommandLine;
using Sandbox.Lifecycle;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox wait SANDBOX`: blocks until it exits and prints its exit code (255 when its supervisor died unseen).</summary>
internal static class WaitCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("SANDBOX") { Description = "Sandbox ID or name" };
        var command = new Command("wait", "Wait for a detached sandbox to exit and print its exit code") { name };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            using var sandboxes = new DetachedSandboxes(GlobalOptions.StateRootFrom(r));
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            using var span = Sandbox.Telemetry.LifecycleDiagnostics.StartAction("wait", r.GetValue(name));
            var row = sandboxes.Require(r.GetValue(name)!);
            var exited = await sandboxes.WaitExitedAsync(row.Id, ct).ConfigureAwait(false);
            Console.Out.WriteLine(exited.ExitCode ?? 255);
            return 0;
        }));
        return command;
    }
}
