using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>`sandbox image pull` against a real registry on 127.0.0.1, images pushed there by skopeo.</summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class RegistryPullTests(RegistryServer registry) : IClassFixture<RegistryServer>, IDisposable
{
    private readonly SandboxCli _cli = new();

    [Fact]
    public void Pulls_an_oci_image_and_a_docker_v2_image_by_tag_and_by_digest()
    {
        string layout = RealImages.Layout;
        registry.Push($"oci:{layout}:1", "app:1");
        registry.Push($"oci:{layout}:1", "dapp:2", format: "v2s2");

        var pulled = _cli.Run("image", "pull", $"{registry.Address}/app:1");
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        string digest = pulled.Stdout.Split(' ')[1];
        Assert.True(_cli.Run("image", "pull", $"{registry.Address}/dapp:2").ExitCode == 0);
        var byDigest = _cli.Run("image", "pull", $"{registry.Address}/app@{digest}");
        Assert.True(byDigest.ExitCode == 0, byDigest.ToString());

        string ls = _cli.Run("image", "ls").Stdout;
        Assert.Contains($"{registry.Address}/app:1", ls, StringComparison.Ordinal);
        Assert.Contains($"{registry.Address}/dapp:2", ls, StringComparison.Ordinal);
        var inspect = _cli.Run("image", "inspect", $"{registry.Address}/dapp:2");
        Assert.Contains("org.example.team", inspect.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_image_is_named_in_the_error()
    {
        var run = _cli.Run("image", "pull", $"{registry.Address}/nothing-here:1");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("nothing-here/manifests/1", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("404", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pulled_image_runs()
    {
        Require.Root();
        Require.Tool("runc");
        registry.Push($"oci:{RealImages.Layout}:1", "runme:1");
        Assert.Equal(0, _cli.Run("image", "pull", $"{registry.Address}/runme:1").ExitCode);
        var run = _cli.Run("run", "--trust", "trusted", $"{registry.Address}/runme:1");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(RealImages.Greeting, run.Stdout);
    }

    public void Dispose() => _cli.Dispose();
}
