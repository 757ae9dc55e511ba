using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>kill -9 of the CLI and of the supervisor at random instants (<see cref="KillNineDrill"/>), 20 times, container backend.</summary>
[Collection(SerialTests.Name)]
public sealed class LifecycleKillNineTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void Twenty_kill_9s_at_random_instants_leave_ps_truthful_and_nothing_behind()
    {
        int seed = KillNineDrill.Seed();
        new KillNineDrill(_cli, ["--trust", "trusted"], "k9", seed, TimeSpan.FromMilliseconds(1500)).Run(20);
    }

    public void Dispose() => _cli.Dispose();
}
