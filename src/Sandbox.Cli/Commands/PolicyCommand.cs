using System.CommandLine;
using Sandbox.Policy;
using Sandbox.Policy.Explain;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox policy explain RUN-ARGS` and `sandbox policy validate FILE`.</summary>
internal static class PolicyCommand
{
    public static Command Build()
    {
        var command = new Command("policy", "Explain policy decisions and validate policy files");
        command.Subcommands.Add(Explain());
        command.Subcommands.Add(Validate());
        return command;
    }

    private static Command Explain()
    {
        var command = new Command("explain", "Show what policy decides for `sandbox run` with the same arguments, and why; runs nothing");
        var options = new RunOptions();
        options.AddTo(command);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            var request = options.ToRequest(r);
            PolicyEvaluation evaluation = Composition.Launcher(GlobalOptions.StateRootFrom(r)).Explain(request);
            Console.Out.Write(r.GetValue(GlobalOptions.Json) ? ExplainText.Json(evaluation) : ExplainText.Human(evaluation));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Validate()
    {
        var file = new Argument<string>("FILE") { Description = "Policy YAML file" };
        var command = new Command("validate", "Check a policy file; errors name file:line:column, what was expected, and a hint");
        command.Arguments.Add(file);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            PolicyDocument policy = PolicyLoader.Load(RunOptions.PolicyPath(r.GetValue(file)!, "policy validate")!);
            int allow = policy.Rules.Count(x => x.Effect == RuleEffect.Allow);
            if (r.GetValue(GlobalOptions.Json))
            {
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                    new PolicyValidJson(policy.Source, true, policy.Rules.Length, allow, policy.Rules.Length - allow, policy.Sha256),
                    CliJsonContext.Default.PolicyValidJson));
                return Task.FromResult(0);
            }

            Console.Out.WriteLine($"{policy.Source}: valid ({policy.Rules.Length} rules: {allow} allow, {policy.Rules.Length - allow} deny; sha256 {policy.Sha256})");
            return Task.FromResult(0);
        }));
        return command;
    }
}
