using System.CommandLine;
using Sandbox.Audit;
using Sandbox.Lifecycle;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox rm [-f] SANDBOX`: removes an exited sandbox's record and log; -f kills a running one first.</summary>
internal static class RmCommand
{
    public static Command Build()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Kill the sandbox first if it runs" };
        var name = new Argument<string>("SANDBOX") { Description = "Sandbox ID or name" };
        var command = new Command("rm", "Remove a detached sandbox") { force, name };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            StateRoot root = GlobalOptions.StateRootFrom(r);
            using var sandboxes = new DetachedSandboxes(root);
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            string given = r.GetValue(name)!;
            var row = sandboxes.Require(given);
            if (row.Status != SandboxStatus.Exited)
            {
                if (!r.GetValue(force))
                {
                    throw new SandboxException(ErrorKind.StateConflict, $"sandbox {given} is running: it was not removed",
                        $"stop it first (sandbox stop {given}), or remove it anyway with sandbox rm -f {given}");
                }

                _ = await SupervisorControl.SendAsync(sandboxes.PathsOf(row.Id).Control, "stop 0", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                await sandboxes.WaitExitedAsync(row.Id, ct).ConfigureAwait(false);
            }

            sandboxes.Store.Remove(row.Id);
            SandboxDirectory.Remove(sandboxes.PathsOf(row.Id));
            LifecycleAudit.Record(AuditLog.For(root), row, "removed");
            Console.Out.WriteLine(given);
            return 0;
        }));
        return command;
    }
}
