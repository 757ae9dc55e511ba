using System.CommandLine;
using Sandbox.Lifecycle;
using Sandbox.Lifecycle.Copy;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>
/// `sandbox cp SRC NAME:/path` and `sandbox cp NAME:/path DST` (docker cp): files and trees into and
/// out of a running detached sandbox; "-" is a tar stream on stdin or stdout. Links are never followed.
/// </summary>
internal static class CpCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("SRC") { Description = "NAME:/path in a sandbox, a host path, or - (a tar stream on stdin)" };
        var destination = new Argument<string>("DST") { Description = "NAME:/path in a sandbox, a host path, or - (a tar stream on stdout)" };
        var command = new Command("cp", "Copy files into or out of a running detached sandbox (never following links)") { source, destination };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            var from = CopyEndpoint.Parse(r.GetValue(source)!);
            var to = CopyEndpoint.Parse(r.GetValue(destination)!);
            if ((from.Sandbox is null) == (to.Sandbox is null))
            {
                throw new SandboxException(ErrorKind.InvalidArgument, "cp: exactly one of SRC and DST must be a path in a sandbox (NAME:/path)",
                    "sandbox cp FILE NAME:/tmp, or sandbox cp NAME:/tmp/file .");
            }

            string given = (from.Sandbox ?? to.Sandbox)!;
            StateRoot root = GlobalOptions.StateRootFrom(r);
            using var sandboxes = new DetachedSandboxes(root);
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            var row = sandboxes.RequireRunning(given);
            using var stdin = Console.OpenStandardInput();
            using var stdout = Console.OpenStandardOutput();
            await SandboxCopy.CopyAsync(root, row, given, from, to, stdin, stdout).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }
}
