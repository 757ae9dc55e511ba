using Sandbox.Audit;
using Sandbox.Backends;
using Sandbox.Lifecycle;

namespace Sandbox.Tests.Unit.Lifecycle;

/// <summary>docker stop's sequence against a stand-in sandbox whose workload obeys (or ignores) each signal.</summary>
public sealed class GracefulStopTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_workload_that_obeys_SIGTERM_gets_nothing_more()
    {
        var sandbox = new StandInSandbox(endsOn: 15);
        Assert.Equal("term", await GracefulStop.RunAsync(sandbox, sandbox.Ended, TimeSpan.FromSeconds(30), Short));
        Assert.Equal([15], sandbox.Signals);
        Assert.False(sandbox.Deleted);
    }

    [Fact]
    public async Task A_workload_that_ignores_SIGTERM_is_killed_after_the_grace()
    {
        var sandbox = new StandInSandbox(endsOn: 9);
        Assert.Equal("kill", await GracefulStop.RunAsync(sandbox, sandbox.Ended, Short, TimeSpan.FromSeconds(30)));
        Assert.Equal([15, 9], sandbox.Signals);
        Assert.False(sandbox.Deleted);
    }

    [Fact]
    public async Task A_workload_that_SIGKILL_does_not_end_is_deleted_after_the_kill_grace()
    {
        var sandbox = new StandInSandbox(endsOn: null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool told = false;
        Assert.Equal("delete", await GracefulStop.RunAsync(sandbox, sandbox.Ended, Short, Short, deleting: () => told = !sandbox.Deleted));
        Assert.True(told, "the caller was not told before the deletion");
        Assert.Equal([15, 9], sandbox.Signals);
        Assert.True(sandbox.Deleted);
        Assert.True(sandbox.Ended.IsCompleted); // deleting ended the wait: the supervisor can record the exit
        Assert.InRange(clock.Elapsed, 2 * Short - TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10)); // both waits, give or take the timer
    }

    [Fact]
    public async Task A_sandbox_whose_runtime_kill_fails_is_deleted_after_the_grace_and_the_kill_grace()
    {
        var sandbox = new StandInSandbox(endsOn: null) { KillFails = true };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("delete", await GracefulStop.RunAsync(sandbox, sandbox.Ended, Short, Short));
        Assert.True(sandbox.Deleted);
        Assert.InRange(clock.Elapsed, 2 * Short - TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10)); // both waits, give or take the timer
    }

    [Fact]
    public async Task A_workload_that_ended_while_its_kill_was_refused_is_not_deleted()
    {
        var sandbox = new StandInSandbox(endsOn: null) { KillFails = true };
        _ = Task.Delay(2 * Short, TestContext.Current.CancellationToken).ContinueWith(_ => sandbox.EndOnItsOwn(), TaskScheduler.Default);
        Assert.Equal("kill", await GracefulStop.RunAsync(sandbox, sandbox.Ended, Short, TimeSpan.FromSeconds(30)));
        Assert.False(sandbox.Deleted);
    }

    /// <summary>A running sandbox whose workload ends on one signal (or none); delete ends it in any case.</summary>
    private sealed class StandInSandbox(int? endsOn) : ISandbox
    {
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<int> Signals { get; } = [];

        public bool KillFails { get; init; }

        public bool Deleted { get; private set; }

        public Task Ended => _ended.Task;

        public void EndOnItsOwn() => _ended.TrySetResult();

        public string Id => "sb-stand-in";

        public SandboxState State => _ended.Task.IsCompleted ? SandboxState.Stopped : SandboxState.Running;

        public AppliedHardening Applied { get; } = new() { Backend = "container" };

        public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

        public Task<bool> SignalAsync(int signal)
        {
            if (KillFails)
            {
                return Task.FromResult(false);
            }

            Signals.Add(signal);
            if (signal == endsOn)
            {
                _ended.TrySetResult();
            }

            return Task.FromResult(true);
        }

        public async Task<WorkloadExit> WaitAsync()
        {
            await _ended.Task;
            return new WorkloadExit(137, false);
        }

        public Task DeleteAsync()
        {
            Deleted = true;
            _ended.TrySetResult();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => new(DeleteAsync());
    }
}
