using System.CommandLine;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Cli.Commands;

/// <summary>
/// exec is policy-checked like a run: the sandbox's own run arguments (what its supervisor was started
/// with, read from its command line) with the exec's command in place of the workload's must be allowed,
/// and decided for the backend the sandbox runs in. Fails closed when they cannot be read.
/// </summary>
internal static class ExecPolicy
{
    public static Task CheckAsync(StateRoot root, SandboxRecord sandbox, IReadOnlyList<string> command, string given)
    {
        string[] runArguments = SupervisorArguments(sandbox) ?? throw new SandboxException(ErrorKind.Refused,
            $"refused: the run arguments of sandbox {given} cannot be read, so policy cannot judge the exec", "sandbox inspect shows its state");
        var options = new RunOptions();
        var run = new Command("run");
        options.AddTo(run);
        var parser = new RootCommand { Options = { new Option<string?>("--root"), new Option<bool>("--json") }, Subcommands = { run } };
        var (parsed, _) = SeparatorInserter.Split(parser, runArguments);
        var result = parser.Parse(parsed);
        if (result.Errors.Count > 0 || result.CommandResult.Command != run)
        {
            throw new SandboxException(ErrorKind.Refused, $"refused: the run arguments of sandbox {given} no longer parse, so policy cannot judge the exec",
                "run the sandbox again with this version of sandbox");
        }

        var request = options.ToRequest(result) with { Command = command, Name = null };
        var evaluation = Composition.Launcher(root).Explain(request);
        var decision = evaluation.Require(); // a refusal: 125 with the rule's message and hint
        string decided = PolicyNames.Backend(decision.Backend);
        if (decided != sandbox.Backend)
        {
            throw new SandboxException(ErrorKind.Refused,
                $"refused: policy decides the {decided} backend for this command, but sandbox {given} runs in a {sandbox.Backend}",
                $"sandbox policy explain shows the deciding rule; run the command as its own sandbox instead");
        }

        return Task.CompletedTask;
    }

    // The supervisor's argv after "supervise ID": the run's own arguments, as given.
    private static string[]? SupervisorArguments(SandboxRecord sandbox)
    {
        if (sandbox.SupervisorPid is not { } pid)
        {
            return null;
        }

        try
        {
            byte[] raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
            var argv = new List<string>();
            int start = 0;
            for (int i = 0; i < raw.Length; i++)
            {
                if (raw[i] == 0)
                {
                    argv.Add(Host.ByteString.Decode(raw.AsSpan(start, i - start)));
                    start = i + 1;
                }
            }

            int verb = argv.IndexOf("supervise");
            return verb >= 0 && verb + 1 < argv.Count && argv[verb + 1] == sandbox.Id ? [.. argv.Skip(verb + 2)] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
