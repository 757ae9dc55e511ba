using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>An imported image's labels and digest reach the policy engine (`policy explain --policy FILE`).</summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class ImagePolicyFactsTests : IDisposable
{
    private readonly SandboxCli _cli = new();

    [Fact]
    public void Policy_rules_match_on_an_imported_images_labels_and_digest()
    {
        _ = RealImages.Dir;
        var imported = _cli.Run("image", "import", RealImages.DockerArchive);
        Assert.True(imported.ExitCode == 0, imported.ToString());
        string digest = imported.Stdout.Split(' ')[1];
        string policy = Path.Combine(_cli.StateRoot, "policy.yaml");
        File.WriteAllText(policy, $$"""
            version: 1
            rules:
              - name: no-sec-team-images
                effect: deny
                why: labels reach policy
                match:
                  labels: {org.example.team: sec}
              - name: pinned
                effect: allow
                why: digest reaches policy
                match:
                  digest: "{{digest}}"
                decide:
                  backend: container
            """);
        var explain = _cli.Run("policy", "explain", "--policy", policy, "--trust", "trusted", "app:1");
        Assert.Contains("no-sec-team-images", explain.Stdout + explain.Stderr, StringComparison.Ordinal);
        Assert.Contains("refused", explain.Stdout + explain.Stderr, StringComparison.Ordinal);

        File.WriteAllText(policy, File.ReadAllText(policy).Replace("team: sec", "team: other", StringComparison.Ordinal));
        var allowed = _cli.Run("policy", "explain", "--policy", policy, "--trust", "trusted", "app:1");
        Assert.Contains("backend: container (rule \"pinned\"", allowed.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
