using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>Every rule has a timeout (1h unless its limits say otherwise): a run without --timeout still ends, and is audited as a timeout.</summary>
public sealed class PolicyTimeoutTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void A_run_without_timeout_is_killed_at_the_rules_timeout_and_audited()
    {
        string policy = Path.Combine(_cli.StateRoot, "short.yaml");
        File.WriteAllText(policy, File.ReadAllText(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml")).Replace(
            "openFiles: 1024}", "openFiles: 1024, timeout: 3s}", StringComparison.Ordinal));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = _cli.Run("run", "--policy", policy, "--trust", "trusted", "busybox", "sleep", "120");
        Assert.True(run.ExitCode == 137, run.ToString());
        Assert.Contains("sandbox: the policy's timeout 3s reached; the workload was killed", run.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Contains("\"outcome\":\"timeout\"", File.ReadLines(Path.Combine(_cli.StateRoot, "audit", "audit.log")).Last(), StringComparison.Ordinal);

        var longer = _cli.Run("run", "--policy", policy, "--trust", "trusted", "--timeout", "10s", "busybox", "true");
        Assert.True(longer.ExitCode == 125, longer.ToString());
        Assert.Contains("--timeout 10s exceeds the ceiling 3s", longer.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
