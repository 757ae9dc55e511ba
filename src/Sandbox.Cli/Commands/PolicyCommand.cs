using System.CommandLine;
using System.Text.Json;
using Sandbox.Policy;
using Sandbox.Policy.Diff;
using Sandbox.Policy.Explain;
using Sandbox.Policy.Replay;
using Sandbox.Policy.Testing;
using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox.Cli.Commands;

/// <summary>`sandbox policy explain RUN-ARGS | validate FILE | test FILE [CASES] | diff OLD NEW [--audit]`.</summary>
internal static class PolicyCommand
{
    public static Command Build()
    {
        var command = new Command("policy", "Explain policy decisions; validate, test and compare policy files");
        command.Subcommands.Add(Explain());
        command.Subcommands.Add(Validate());
        command.Subcommands.Add(Test());
        command.Subcommands.Add(Diff());
        return command;
    }

    private static Command Test()
    {
        var file = new Argument<string>("FILE") { Description = "Policy YAML file, or 'builtin' for the built-in policy" };
        var cases = new Argument<string?>("CASES") { Description = "Cases YAML file (default: FILE with .yaml replaced by .tests.yaml)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("test", "Check a policy against cases (workload facts -> expected decision); exit 1 naming each mismatch");
        command.Arguments.Add(file);
        command.Arguments.Add(cases);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            string policyFile = r.GetValue(file)!;
            string casesFile = r.GetValue(cases) ?? DefaultCases(policyFile);
            PolicyDocument policy = PolicyLoader.Named(policyFile).Policy;
            var report = PolicyTestRunner.Run(policy, PolicyCaseParser.Load(casesFile), ProfileCatalog.Resolve);
            Console.Out.Write(r.GetValue(GlobalOptions.Json)
                ? JsonSerializer.Serialize(report, PolicyAuditJsonContext.Relaxed.PolicyTestReport) + "\n"
                : PolicyTestText.Human(report));
            return Task.FromResult(report.Failed == 0 ? 0 : 1);
        }));
        return command;
    }

    private static string DefaultCases(string policyFile) =>
        policyFile != PolicyLoader.BuiltinName && policyFile.EndsWith(".yaml", StringComparison.Ordinal)
            ? policyFile[..^".yaml".Length] + ".tests.yaml"
            : throw new SandboxException(ErrorKind.InvalidArgument, $"no cases file given for '{policyFile}'", "give one: sandbox policy test FILE CASES.yaml");

    private static Command Diff()
    {
        var oldFile = new Argument<string>("OLD") { Description = "Policy YAML file, or 'builtin'" };
        var newFile = new Argument<string>("NEW") { Description = "Policy YAML file, or 'builtin'" };
        var audit = new Option<bool>("--audit") { Description = "Also decide every run in the audit log again under NEW and list those decided differently" };
        var command = new Command("diff", "Rules added, removed, moved or changed between two policies; with --audit, the recorded runs NEW would decide differently");
        command.Arguments.Add(oldFile);
        command.Arguments.Add(newFile);
        command.Options.Add(audit);
        command.SetAction((r, ct) => ErrorReporter.GuardAsync(() =>
        {
            var (oldPolicy, oldText) = PolicyLoader.Named(r.GetValue(oldFile)!);
            var (newPolicy, newText) = PolicyLoader.Named(r.GetValue(newFile)!);
            PolicyDiffReport rules = PolicyRuleDiff.Compare(oldPolicy, oldText, newPolicy, newText);
            ReplayReport? replay = r.GetValue(audit)
                ? PolicyReplay.Run(AuditCommand.Records(r, out _).Select(x => x.Record), newPolicy, ProfileCatalog.Resolve)
                : null;
            Console.Out.Write(r.GetValue(GlobalOptions.Json)
                ? JsonSerializer.Serialize(new PolicyDiffOutput(PolicyDiffOutput.SchemaId, rules, replay), PolicyAuditJsonContext.Relaxed.PolicyDiffOutput) + "\n"
                : PolicyDiffText.Human(rules, replay));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Explain()
    {
        var command = new Command("explain", "Show what policy decides for `sandbox run` with the same arguments, and why; runs nothing");
        var options = new RunOptions();
        options.AddTo(command);
        foreach (var lifecycle in new Option[] { options.Name, options.Detach, options.Restart, options.Remove })
        {
            lifecycle.Hidden = true; // accepted as on `run` (so a run's line explains as is), but they change no decision
        }

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
            foreach (string profile in policy.Rules.Select(x => x.Outcome?.SeccompProfile).OfType<string>().Where(p => p.StartsWith('/')).Distinct(StringComparer.Ordinal))
            {
                _ = ProfileCatalog.Resolve(profile); // a profile named by path must load here, as every run it decides will load it
            }

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
