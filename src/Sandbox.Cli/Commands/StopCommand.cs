using System.CommandLine;
using System.Globalization;
using Sandbox.Audit;
using Sandbox.Lifecycle;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>
/// `sandbox stop [-t SECS] SANDBOX...`: SIGTERM, then SIGKILL after the grace period, then the
/// sandbox deleted if even that did not end it; prints each sandbox as given (<see cref="EachSandbox"/>).
/// </summary>
internal static class StopCommand
{
    /// <summary>How long past its own deadline a supervisor may take before the CLI gives up on it and kills it.</summary>
    private static readonly TimeSpan SupervisorMargin = TimeSpan.FromSeconds(60);

    public static Command Build()
    {
        var time = new Option<int>("--time", "-t") { Description = "Seconds to wait after SIGTERM before SIGKILL", DefaultValueFactory = _ => 10 };
        var names = new Argument<string[]>("SANDBOX") { Description = "Sandbox IDs or names", Arity = ArgumentArity.OneOrMore };
        var command = new Command("stop", "Stop detached sandboxes") { time, names };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            int seconds = r.GetValue(time);
            if (seconds is < 0 or > 3600)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"-t: {seconds} is out of range", "give 0 to 3600 seconds");
            }

            StateRoot root = GlobalOptions.StateRootFrom(r);
            using (var sandboxes = new DetachedSandboxes(root))
            {
                await sandboxes.ReconcileAsync().ConfigureAwait(false);
            }

            return await EachSandbox.ActAsync("stop", r.GetValue(names)!, given => StopAsync(root, given, seconds, ct)).ConfigureAwait(false);
        }));
        return command;
    }

    private static async Task StopAsync(StateRoot root, string given, int seconds, CancellationToken ct)
    {
        using var sandboxes = new DetachedSandboxes(root);
        var row = sandboxes.Require(given);
        if (row.Status == SandboxStatus.Exited)
        {
            return;
        }

        // The supervisor replies once the workload ended (it deletes the sandbox itself when SIGKILL
        // did not end it). No reply: it was already going, or it hangs; the wait below decides.
        var deadline = TimeSpan.FromSeconds(seconds) + GracefulStop.KillGrace + SupervisorMargin;
        _ = await SupervisorControl.SendAsync(sandboxes.PathsOf(row.Id).Control, string.Create(CultureInfo.InvariantCulture, $"stop {seconds}"), deadline)
            .ConfigureAwait(false);
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            bounded.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await sandboxes.WaitExitedAsync(row.Id, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // A supervisor that neither stopped its workload nor answered: killed, and what it
                // left reaped as for any dead supervisor.
                await sandboxes.AbandonSupervisorAsync(row.Id).ConfigureAwait(false);
                await sandboxes.WaitExitedAsync(row.Id, ct).ConfigureAwait(false);
            }
        }

        LifecycleAudit.Record(AuditLog.For(root), row, "stopped", $"grace {seconds}s");
    }
}
