using System.CommandLine;
using System.Globalization;
using Sandbox.Audit;
using Sandbox.Lifecycle;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox kill [-s SIGNAL] SANDBOX...`: sends a signal to each workload (default SIGKILL); prints each sandbox as given.</summary>
internal static class KillCommand
{
    private static readonly string[] Names = ["", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM"];

    public static Command Build()
    {
        var signal = new Option<string>("--signal", "-s") { Description = "Signal: a name (TERM, SIGKILL) or number", DefaultValueFactory = _ => "KILL" };
        var names = new Argument<string[]>("SANDBOX") { Description = "Sandbox IDs or names", Arity = ArgumentArity.OneOrMore };
        var command = new Command("kill", "Send a signal to detached sandboxes' workloads") { signal, names };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            int number = Parse(r.GetValue(signal)!);
            StateRoot root = GlobalOptions.StateRootFrom(r);
            using (var sandboxes = new DetachedSandboxes(root))
            {
                await sandboxes.ReconcileAsync().ConfigureAwait(false);
            }

            return await EachSandbox.ActAsync("kill", r.GetValue(names)!, given => KillAsync(root, given, number)).ConfigureAwait(false);
        }));
        return command;
    }

    private static async Task KillAsync(StateRoot root, string given, int number)
    {
        using var sandboxes = new DetachedSandboxes(root);
        var row = sandboxes.Require(given);
        string? reply = row.Status == SandboxStatus.Exited ? null
            : await SupervisorControl.SendAsync(sandboxes.PathsOf(row.Id).Control, string.Create(CultureInfo.InvariantCulture, $"kill {number}"), TimeSpan.FromSeconds(30))
                .ConfigureAwait(false);
        if (reply != "ok")
        {
            throw new SandboxException(ErrorKind.StateConflict, $"sandbox {given} is not running", "sandbox ps -a shows its state; sandbox start is not available, run it again");
        }

        LifecycleAudit.Record(AuditLog.For(root), row, "killed", $"signal {number}");
    }

    /// <summary>KILL, SIGKILL, kill or 9; 125 naming the signal otherwise.</summary>
    public static int Parse(string text)
    {
        string upper = text.ToUpperInvariant();
        upper = upper.StartsWith("SIG", StringComparison.Ordinal) ? upper[3..] : upper;
        if (int.TryParse(upper, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 and <= 64)
        {
            return n;
        }

        int index = Array.IndexOf(Names, upper);
        return index > 0 ? index : throw new SandboxException(ErrorKind.InvalidArgument, $"-s: '{text}' is not a signal",
            "give a name such as TERM, KILL, HUP, USR1, or a number from 1 to 64");
    }
}
