using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Runtime;

public sealed class EnvironmentBuilderTests
{
    [Fact]
    public void Flags_override_image_defaults_in_order()
    {
        var env = EnvironmentBuilder.Build(["PATH=/bin", "A=image"], 0, "sandbox", ["A=flag", "B=x=y"]);
        Assert.Equal(["PATH=/bin", "HOSTNAME=sandbox", "HOME=/root", "A=flag", "B=x=y"], env);
    }

    [Fact]
    public void A_terminal_adds_term_xterm_unless_the_image_or_a_flag_sets_term()
    {
        Assert.Equal(["PATH=/bin", "HOSTNAME=sandbox", "HOME=/root", "TERM=xterm"], EnvironmentBuilder.Build(["PATH=/bin"], 0, "sandbox", [], terminal: true));
        Assert.DoesNotContain(EnvironmentBuilder.Build(["PATH=/bin"], 0, "sandbox", []), e => e.StartsWith("TERM=", StringComparison.Ordinal));
        Assert.Contains("TERM=linux", EnvironmentBuilder.Build(["TERM=linux"], 0, "sandbox", [], terminal: true));
        Assert.Equal(["HOSTNAME=sandbox", "HOME=/root", "TERM=vt100"], EnvironmentBuilder.Build([], 0, "sandbox", ["TERM=vt100"], terminal: true));
    }

    [Fact]
    public void A_bare_name_passes_the_launchers_value_or_nothing()
    {
        Environment.SetEnvironmentVariable("SANDBOX_TEST_PASSTHROUGH", "yes");
        var env = EnvironmentBuilder.Build([], 1000, "sandbox", ["SANDBOX_TEST_PASSTHROUGH", "SANDBOX_TEST_UNSET_VARIABLE"]);
        Assert.Contains("SANDBOX_TEST_PASSTHROUGH=yes", env);
        Assert.Contains("HOME=/", env);
        Assert.DoesNotContain(env, e => e.StartsWith("SANDBOX_TEST_UNSET_VARIABLE", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("=value")]
    [InlineData("A B=c")]
    [InlineData("A\0=c")]
    public void Rejects_malformed_entries(string flag) =>
        Assert.Throws<SandboxException>(() => EnvironmentBuilder.Validate(flag));
}
