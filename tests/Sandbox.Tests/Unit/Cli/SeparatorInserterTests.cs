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
    public void Single_letter_flags_written_together_are_split_as_in_docker() =>
        Assert.Equal(["run", "-i", "-t", "busybox", "--", "-it"], Insert("run", "-it", "busybox", "-it"));

    [Fact]
    public void A_bundle_with_a_value_option_is_not_a_bundle()
    {
        var e = Assert.Throws<SandboxException>(() => Insert("run", "-iu", "busybox"));
        Assert.Contains("-iu", e.Message, StringComparison.Ordinal);
    }

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
    public void The_workload_command_line_is_split_off_untouched()
    {
        string[] many = [.. Enumerable.Range(1, 150_000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var (parsed, workload) = SeparatorInserter.Split(CliApp.Build(), ["run", "--trust", "trusted", "busybox", "echo", .. many]);
        Assert.Equal(["run", "--trust", "trusted", "busybox", "--"], parsed);
        Assert.Equal(["echo", .. many], workload!);
        Assert.Empty(CliApp.Build().Parse(parsed).Errors);
    }

    [Fact]
    public void Without_a_workload_command_line_nothing_is_split_off() =>
        Assert.Null(SeparatorInserter.Split(CliApp.Build(), ["image", "ls"]).Workload);

    [Fact]
    public void Commands_without_a_workload_command_line_are_left_alone() =>
        Assert.Equal(["policy", "validate", "p.yaml"], Insert("policy", "validate", "p.yaml"));
}
