using System.CommandLine;
using Sandbox.Audit;
using Sandbox.Lifecycle;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox rm [-f] SANDBOX...`: removes exited sandboxes' records and logs; -f kills running ones first. Prints each as given.</summary>
internal static class RmCommand
{
    public static Command Build()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Kill the sandbox first if it runs" };
        var names = new Argument<string[]>("SANDBOX") { Description = "Sandbox IDs or names", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove detached sandboxes") { force, names };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            StateRoot root = GlobalOptions.StateRootFrom(r);
            using (var sandboxes = new DetachedSandboxes(root))
            {
                await sandboxes.ReconcileAsync().ConfigureAwait(false);
            }

            return await EachSandbox.ActAsync("rm", r.GetValue(names)!, given => RemoveAsync(root, given, r.GetValue(force), ct)).ConfigureAwait(false);
        }));
        return command;
    }

    private static async Task<bool> RemoveAsync(StateRoot root, string given, bool force, CancellationToken ct)
    {
        using var sandboxes = new DetachedSandboxes(root);
        if (force && sandboxes.Store.Find(given) is null)
        {
            // docker's rm -f: a missing one is said on stderr and is not a failure (scripts clean up with it).
            await Console.Error.WriteLineAsync($"sandbox: no such sandbox: {given}").ConfigureAwait(false);
            return false;
        }

        var row = sandboxes.Require(given);
        if (row.Status != SandboxStatus.Exited)
        {
            if (!force)
            {
                throw new SandboxException(ErrorKind.StateConflict, $"sandbox {given} is running: it was not removed",
                    $"stop it first (sandbox stop {given}), or remove it anyway with sandbox rm -f {given}");
            }

            _ = await SupervisorControl.SendAsync(sandboxes.PathsOf(row.Id).Control, "stop 0", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bounded.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await sandboxes.WaitExitedAsync(row.Id, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await sandboxes.AbandonSupervisorAsync(row.Id).ConfigureAwait(false); // it neither stopped nor answered
                await sandboxes.WaitExitedAsync(row.Id, ct).ConfigureAwait(false);
            }
        }

        SandboxDirectory.Remove(sandboxes.PathsOf(row.Id)); // the files first: a kill -9 in between leaves a row to rm again
        sandboxes.Store.Remove(row.Id);
        LifecycleAudit.Record(AuditLog.For(root), row, "removed");
        return true;
    }
}
