using Sandbox.Cli.Commands;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Cli;

public sealed class KillSignalTests
{
    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("SIGKILL", 9)]
    [InlineData("term", 15)]
    [InlineData("HUP", 1)]
    [InlineData("usr1", 10)]
    [InlineData("9", 9)]
    [InlineData("64", 64)]
    public void Signals_are_named_as_docker_names_them(string text, int number) => Assert.Equal(number, KillCommand.Parse(text));

    [Theory]
    [InlineData("NOPE")]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-9")]
    [InlineData("SIG")]
    public void Anything_else_is_refused_naming_it(string text)
    {
        var e = Assert.Throws<SandboxException>(() => KillCommand.Parse(text));
        Assert.Contains($"'{text}' is not a signal", e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
    }
}
