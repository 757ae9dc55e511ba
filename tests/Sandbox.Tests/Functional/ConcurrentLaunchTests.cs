using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Launchers sharing a state root start together: each one's orphan reaper must leave the others' runs
/// alone, in setup as in teardown (it once took a run whose owner was deleting it for an orphan, and
/// failed or deleted a run mid-setup), and the first launches must not trip over each other's caches or
/// auto-created volumes.
/// </summary>
public sealed class ConcurrentLaunchTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public async Task Concurrent_launches_with_shared_volumes_all_succeed_and_leave_no_run_behind()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            _cli.Run(["run", "--trust", "trusted", "-v", "a:/a", "-v", "b:/b", "busybox", "sh", "-c", "ls -d /a /b"], stdin: null))));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0 && r.Stdout == "/a\n/b\n", r.ToString()));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cli.StateRoot, "run")));
    }

    public void Dispose() => _cli.Dispose();
}
