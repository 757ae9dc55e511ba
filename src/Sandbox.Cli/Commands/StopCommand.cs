using System.CommandLine;
using System.Globalization;
using Sandbox.Audit;
using Sandbox.Lifecycle;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox stop [-t SECS] SANDBOX`: SIGTERM, then SIGKILL after the grace period; prints the sandbox as given.</summary>
internal static class StopCommand
{
    public static Command Build()
    {
        var time = new Option<int>("--time", "-t") { Description = "Seconds to wait after SIGTERM before SIGKILL", DefaultValueFactory = _ => 10 };
        var name = new Argument<string>("SANDBOX") { Description = "Sandbox ID or name" };
        var command = new Command("stop", "Stop a detached sandbox") { time, name };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            int seconds = r.GetValue(time);
            if (seconds is < 0 or > 3600)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"-t: {seconds} is out of range", "give 0 to 3600 seconds");
            }

            using var sandboxes = new DetachedSandboxes(GlobalOptions.StateRootFrom(r));
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            string given = r.GetValue(name)!;
            var row = sandboxes.Require(given);
            if (row.Status != SandboxStatus.Exited)
            {
                // No reply: the supervisor was already going; the wait below sees it end either way.
                _ = await SupervisorControl.SendAsync(sandboxes.PathsOf(row.Id).Control, string.Create(CultureInfo.InvariantCulture, $"stop {seconds}"),
                    TimeSpan.FromSeconds(seconds + 60)).ConfigureAwait(false);
                await sandboxes.WaitExitedAsync(row.Id, ct).ConfigureAwait(false);
                LifecycleAudit.Record(AuditLog.For(GlobalOptions.StateRootFrom(r)), row, "stopped", $"grace {seconds}s");
            }

            Console.Out.WriteLine(given);
            return 0;
        }));
        return command;
    }
}
