using Sandbox.Host.Probes;

namespace Sandbox.Tests.Unit.Host;

public sealed class RuntimeVersionTests
{
    [Theory]
    [InlineData("1.1.5+ds1", 1, 1, 5, null)]
    [InlineData("1.1.5+ds1-1+deb12u1", 1, 1, 5, null)]
    [InlineData("1.8.1", 1, 8, 1, null)]
    [InlineData("1.24", 1, 24, 0, null)]
    [InlineData("v1.2.8", 1, 2, 8, null)]
    [InlineData("1:7.2+dfsg-7+deb12u18+b3", 7, 2, 0, null)]
    [InlineData("1.0.0-rc7", 1, 0, 0, "rc7")]
    [InlineData("1.0.0-rc95", 1, 0, 0, "rc95")]
    [InlineData("1.4.0-rc.3", 1, 4, 0, "rc.3")]
    [InlineData("1.2.0~rc1", 1, 2, 0, "rc1")]
    [InlineData("1.0.0~rc93-1", 1, 0, 0, "rc93")]
    [InlineData("1.1.12-1", 1, 1, 12, null)]
    [InlineData("1.1.12-0ubuntu3", 1, 1, 12, null)]
    public void Parses_upstream_and_distribution_versions(string text, int major, int minor, int patch, string? prerelease)
    {
        RuntimeVersion? v = RuntimeVersion.Parse(text);
        Assert.NotNull(v);
        Assert.Equal((major, minor, patch, prerelease), (v.Major, v.Minor, v.Patch, v.Prerelease));
        Assert.Equal(text, v.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("one.two")]
    [InlineData("1.2.3.4")]
    [InlineData("1..2")]
    [InlineData("1.2-")]
    [InlineData("99999999999.1")]
    public void Rejects_what_is_not_a_version(string text) => Assert.Null(RuntimeVersion.Parse(text));

    [Theory]
    [InlineData("1.1.5+ds1", "1.2.8", -1)]
    [InlineData("1.1.5+ds1", "1.1.5", 0)]
    [InlineData("1.2.8", "1.2.7", 1)]
    [InlineData("1.10.0", "1.9.9", 1)]
    [InlineData("1.0.0-rc7", "1.0.0", -1)]
    [InlineData("1.0.0-rc7", "1.0.0-rc95", -1)]
    [InlineData("1.0.0-rc95", "1.0.0-rc10", 1)]
    [InlineData("1.4.0-rc.2", "1.4.0-rc.3", -1)]
    [InlineData("1.4.0-alpha", "1.4.0-rc.1", -1)]
    [InlineData("1.2.0~rc1", "1.2.0", -1)]
    [InlineData("1.24", "1.8.1", 1)]
    public void Compares_numerically_with_prereleases_first(string left, string right, int sign)
    {
        RuntimeVersion a = RuntimeVersion.Parse(left)!;
        RuntimeVersion b = RuntimeVersion.Parse(right)!;
        Assert.Equal(sign, Math.Sign(a.CompareTo(b)));
        Assert.Equal(-sign, Math.Sign(b.CompareTo(a)));
    }
}
