using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Images;

/// <summary>--name NAME[:TAG]: what the store accepts, and what it refuses naming the value.</summary>
public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("app", "app:latest")]
    [InlineData("app:1", "app:1")]
    [InlineData("team/app:v1.2", "team/app:v1.2")]
    [InlineData("127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1")]
    [InlineData("localhost:5000/team/app", "localhost:5000/team/app:latest")]
    [InlineData("docker.io/library/app:1", "app:1")]
    public void Valid_names_are_normalized(string given, string expected) => Assert.Equal(expected, ImageReference.Validate(given));

    [Theory]
    [InlineData("a:b:c")] // was stored as name "a:b", tag "c"
    [InlineData("host:abc/app:1")] // a port is digits
    [InlineData("app/x:1/y")] // a colon inside a later component
    [InlineData(":1/app")]
    [InlineData("Bad Name")]
    [InlineData("ok:")]
    [InlineData(":tag")]
    [InlineData("sha256:abc")]
    public void Invalid_names_are_refused_naming_the_value(string given)
    {
        var e = Assert.Throws<SandboxException>(() => ImageReference.Validate(given));
        Assert.Contains($"--name: '{given}' is not a valid image name", e.Message, StringComparison.Ordinal);
    }
}
