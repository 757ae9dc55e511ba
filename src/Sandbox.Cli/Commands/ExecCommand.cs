using System.CommandLine;
using Sandbox.Backends;
using Sandbox.Lifecycle;
using Sandbox.Lifecycle.Exec;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>
/// `sandbox exec [-i] [-t] [-e K=V]... [-w DIR] [-u UID[:GID]] SANDBOX CMD [ARG...]`: runs CMD in a
/// running detached sandbox, as confined as its workload; exits with CMD's code (docker exec).
/// </summary>
internal static class ExecCommand
{
    public static Command Build()
    {
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Connect stdin to the command" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Give the command a terminal of its own (stdout and stderr merge)" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set an environment variable: K=V (or K to pass the caller's)" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the sandbox (default: the workload's)" };
        var user = new Option<string?>("--user", "-u") { Description = "UID[:GID] inside the sandbox (default: the workload's)" };
        var name = new Argument<string>("SANDBOX") { Description = "Sandbox ID or name" };
        var commandLine = new Argument<string[]>("COMMAND") { Description = "Command and arguments", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("exec", "Run a command in a running detached sandbox") { interactive, tty, env, workdir, user, name, commandLine };
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(async () =>
        {
            string given = r.GetValue(name)!;
            string[] argv = WorkloadCommandLine.Arguments ?? r.GetValue(commandLine) ?? [];
            if (argv.Length == 0 || argv[0].Length == 0)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"exec {given}: no command given", $"sandbox exec {given} CMD [ARG...]");
            }

            foreach (string e in r.GetValue(env) ?? [])
            {
                EnvironmentBuilder.Validate(e);
            }

            string? cwd = r.GetValue(workdir);
            if (cwd is not null && !cwd.StartsWith('/'))
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"-w: '{cwd}' is not an absolute path", "give the directory from the sandbox's root, e.g. -w /tmp");
            }

            bool terminal = r.GetValue(tty);
            if (terminal && !Host.HostTerminal.IsTerminal(0))
            {
                throw new SandboxException(ErrorKind.InvalidArgument, "-t: the input device is not a terminal", "drop -t when stdin is a pipe or a file");
            }

            var request = new ExecRequest(argv, [.. (r.GetValue(env) ?? []).Select(Resolved).OfType<string>()], cwd,
                r.GetValue(user) is { } u ? RunOptions.ParseUser(u) : null, r.GetValue(interactive), terminal)
            {
                TerminalSize = terminal ? Host.HostTerminal.Size() : null,
            };
            StateRoot root = GlobalOptions.StateRootFrom(r);
            using var sandboxes = new DetachedSandboxes(root);
            await sandboxes.ReconcileAsync().ConfigureAwait(false);
            var row = sandboxes.RequireRunning(given);
            try
            {
                await ExecPolicy.CheckAsync(root, row, argv, given).ConfigureAwait(false);
            }
            catch (SandboxException e)
            {
                LifecycleAudit.RecordExec(Audit.AuditLog.For(root), row, argv, e.ExitCode, e.Message); // a refusal is recorded like a run's
                throw;
            }

            return await SandboxExec.RunAsync(root, row, request, given).ConfigureAwait(false);
        }));
        return command;
    }

    // docker exec -e NAME passes the caller's value, and nothing when the caller has none.
    private static string? Resolved(string entry) =>
        entry.Contains('=', StringComparison.Ordinal) ? entry
        : Environment.GetEnvironmentVariable(entry) is { } value ? $"{entry}={value}" : null;
}
