using Sandbox.Lifecycle;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Lifecycle;

public sealed class RestartPolicyTests
{
    [Fact]
    public void Policies_restart_as_dockers_do()
    {
        Assert.False(RestartPolicy.Parse(null).ShouldRestart(1, 0));
        Assert.False(RestartPolicy.Parse("no").ShouldRestart(1, 0));
        Assert.True(RestartPolicy.Parse("always").ShouldRestart(0, 500));
        var onFailure = RestartPolicy.Parse("on-failure");
        Assert.True(onFailure.ShouldRestart(1, 1000));
        Assert.False(onFailure.ShouldRestart(0, 0));
        var limited = RestartPolicy.Parse("on-failure:2");
        Assert.True(limited.ShouldRestart(137, 1));
        Assert.False(limited.ShouldRestart(137, 2));
    }

    [Fact]
    public void Backoff_doubles_from_100_ms_to_one_minute()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), RestartPolicy.Backoff(0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), RestartPolicy.Backoff(1));
        Assert.Equal(TimeSpan.FromMilliseconds(51_200), RestartPolicy.Backoff(9));
        Assert.Equal(TimeSpan.FromMinutes(1), RestartPolicy.Backoff(10));
        Assert.Equal(TimeSpan.FromMinutes(1), RestartPolicy.Backoff(1000));
    }

    [Theory]
    [InlineData("sometimes")]
    [InlineData("on-failure:0")]
    [InlineData("on-failure:-1")]
    [InlineData("on-failure:x")]
    [InlineData("Always")]
    public void Anything_else_is_refused_naming_it(string text)
    {
        var e = Assert.Throws<SandboxException>(() => RestartPolicy.Parse(text));
        Assert.Contains($"'{text}' is not a restart policy", e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
    }
}
