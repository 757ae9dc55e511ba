using Sandbox.Cli;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Cli;

public sealed class SeparatorInserterTests
{
    private static string[] Insert(params string[] args) => SeparatorInserter.Insert(CliApp.Build(), args);

    [Fact]
    public void Options_end_at_the_image() =>
        Assert.Equal(["run", "--trust", "trusted", "busybox", "--", "sh", "-c", "x"], Insert("run", "--trust", "trusted", "busybox", "sh", "-c", "x"));

    [Fact]
    public void An_explicit_separator_is_kept() =>
        Assert.Equal(["run", "busybox", "--", "ls", "-l"], Insert("run", "busybox", "--", "ls", "-l"));

    [Fact]
    public void Values_of_options_are_not_mistaken_for_the_image() =>
        Assert.Equal(["--root", "/r", "run", "-e", "K=V", "--memory=64M", "-d", "busybox", "--", "-x"], Insert("--root", "/r", "run", "-e", "K=V", "--memory=64M", "-d", "busybox", "-x"));

    [Fact]
    public void Unknown_options_are_errors_that_name_them()
    {
        var e = Assert.Throws<SandboxException>(() => Insert("run", "--frobnicate", "busybox"));
        Assert.Contains("--frobnicate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_explain_takes_the_same_arguments_as_run() =>
        Assert.Equal(["policy", "explain", "--trust", "trusted", "busybox", "--", "sh", "-c", "x"], Insert("policy", "explain", "--trust", "trusted", "busybox", "sh", "-c", "x"));

    [Fact]
    public void Commands_without_a_workload_command_line_are_left_alone() =>
        Assert.Equal(["policy", "validate", "p.yaml"], Insert("policy", "validate", "p.yaml"));
}
