using System.CommandLine;
using Sandbox.Cli;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Cli;

/// <summary>The CLI's public surface is pinned: a change to a flag shows up as a snapshot diff.</summary>
public sealed class HelpSnapshotTests
{
    [Theory]
    [InlineData("root", new string[0])]
    [InlineData("run", new[] { "run" })]
    [InlineData("image", new[] { "image" })]
    [InlineData("image-import", new[] { "image", "import" })]
    [InlineData("policy-explain", new[] { "policy", "explain" })]
    [InlineData("policy-validate", new[] { "policy", "validate" })]
    [InlineData("audit", new[] { "audit" })]
    [InlineData("audit-ls", new[] { "audit", "ls" })]
    [InlineData("audit-verify", new[] { "audit", "verify" })]
    [InlineData("audit-export", new[] { "audit", "export" })]
    [InlineData("audit-rotate", new[] { "audit", "rotate" })]
    [InlineData("policy-test", new[] { "policy", "test" })]
    [InlineData("policy-diff", new[] { "policy", "diff" })]
    [InlineData("profile", new[] { "profile" })]
    [InlineData("profile-ls", new[] { "profile", "ls" })]
    [InlineData("profile-show", new[] { "profile", "show" })]
    [InlineData("profile-import", new[] { "profile", "import" })]
    [InlineData("profile-diff", new[] { "profile", "diff" })]
    [InlineData("ps", new[] { "ps" })]
    [InlineData("logs", new[] { "logs" })]
    [InlineData("stop", new[] { "stop" })]
    [InlineData("kill", new[] { "kill" })]
    [InlineData("wait", new[] { "wait" })]
    [InlineData("rm", new[] { "rm" })]
    [InlineData("inspect", new[] { "inspect" })]
    [InlineData("exec", new[] { "exec" })]
    [InlineData("cp", new[] { "cp" })]
    public void Help_is_stable(string name, string[] verb)
    {
        var output = new StringWriter();
        CliApp.Build().Parse([.. verb, "--help"]).Invoke(new InvocationConfiguration { Output = output });
        // Usage lines name the running executable: the test host here, bin/sandbox for users.
        string help = output.ToString().Replace(RootCommand.ExecutableName, "sandbox", StringComparison.Ordinal);
        Snapshot.Match($"help-{name}.txt", help);
    }
}
