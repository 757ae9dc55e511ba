using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Runtime;

public sealed class QuantitiesTests
{
    [Theory]
    [InlineData("1", 1L)]
    [InlineData("512k", 512L << 10)]
    [InlineData("64M", 64L << 20)]
    [InlineData("64MB", 64L << 20)]
    [InlineData("1g", 1L << 30)]
    public void Parses_sizes(string text, long expected) => Assert.Equal(expected, Quantities.ParseSize(text, "--memory"));

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("-1M")]
    [InlineData("0")]
    [InlineData("99999999999T")]
    public void Rejects_bad_sizes_naming_the_flag(string text)
    {
        var e = Assert.Throws<SandboxException>(() => Quantities.ParseSize(text, "--memory"));
        Assert.Equal(ExitCodes.SandboxFailed, e.ExitCode);
        Assert.Contains("--memory", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("1.5s", 1.5)]
    public void Parses_durations(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Quantities.ParseDuration(text, "--timeout"));

    [Theory]
    [InlineData("-3s")]
    [InlineData("soon")]
    [InlineData("0s")]
    [InlineData("800h")]
    [InlineData("5")]
    [InlineData("1.5")]
    public void Rejects_bad_durations(string text) =>
        Assert.Throws<SandboxException>(() => Quantities.ParseDuration(text, "--timeout"));

    [Fact]
    public void A_duration_without_unit_names_the_missing_unit()
    {
        var e = Assert.Throws<SandboxException>(() => Quantities.ParseDuration("1.5", "--timeout"));
        Assert.Equal("--timeout: '1.5' has no unit", e.Message);
        Assert.Contains("1.5s", e.Hint, StringComparison.Ordinal);
    }
}
