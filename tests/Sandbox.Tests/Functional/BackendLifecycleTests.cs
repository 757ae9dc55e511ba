using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// The backend seam's lifecycle on the container backend, driven as the launcher drives it:
/// create prepares everything and runs nothing, start runs the workload, signal reaches it, wait
/// reports its exit, delete removes every trace (run directory, runtime state, lease).
/// </summary>
public sealed class BackendLifecycleTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sandbox-test-root-").FullName;

    public BackendLifecycleTests()
    {
        Require.Root();
        Require.Tool("runc");
        StateRootJanitor.Register(_root, owned: true);
    }

    public void Dispose() => StateRootJanitor.Release(_root, remove: true);

    [Fact]
    public async Task Create_runs_nothing_start_runs_the_workload_and_delete_removes_every_trace()
    {
        var (backend, root) = Backend();
        var spec = Spec(root, ["/bin/sh", "-c", "echo started > /tmp/marker; echo out; exit 7"]);
        var stdout = new MemoryStream();
        var sandbox = await backend.CreateAsync(spec, new WorkloadIo(null, stdout, Stream.Null, ForwardSignals: false), TestContext.Current.CancellationToken);
        string runDir = Path.Combine(root.Runs, sandbox.Id);
        try
        {
            Assert.Equal(SandboxState.Created, sandbox.State);
            Assert.True(File.Exists(Path.Combine(runDir, "config.json")), "create renders the bundle");
            Assert.False(await sandbox.SignalAsync(15), "nothing of the workload runs after create, so there is nothing to signal");
            Assert.Empty(stdout.ToArray());
            Assert.StartsWith("runc", sandbox.Applied.Engine, StringComparison.Ordinal);

            await sandbox.StartAsync(TestContext.Current.CancellationToken);
            var exit = await sandbox.WaitAsync();
            Assert.Equal(new WorkloadExit(7, TimedOut: false), exit);
            Assert.Equal("out\n", System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
            Assert.Equal(SandboxState.Stopped, sandbox.State);
        }
        finally
        {
            await sandbox.DeleteAsync();
        }

        Assert.False(Directory.Exists(runDir), "delete removes the run directory");
        Assert.False(OciRuntime.Find("runc", root)!.HasState(sandbox.Id), "delete removes the runtime's state");
        await sandbox.DeleteAsync(); // idempotent
    }

    [Fact]
    public async Task A_signal_reaches_the_running_workload_and_wait_reports_it()
    {
        var (backend, root) = Backend();
        // A shell as PID 1 ignores SIGTERM without a handler: the trap proves the signal arrived.
        var spec = Spec(root, ["/bin/sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done"]);
        var stdout = new MarkerStream("ready");
        await using var sandbox = await backend.CreateAsync(spec, new WorkloadIo(null, stdout, Stream.Null, ForwardSignals: false), TestContext.Current.CancellationToken);
        await sandbox.StartAsync(TestContext.Current.CancellationToken);
        await stdout.Seen.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(SandboxState.Running, sandbox.State);

        Assert.True(await sandbox.SignalAsync(15));
        var exit = await sandbox.WaitAsync();
        Assert.Equal(3, exit.ExitCode);
        Assert.Contains("got-term", stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_running_sandbox_stops_it_first()
    {
        var (backend, root) = Backend();
        var spec = Spec(root, ["/bin/sh", "-c", "echo ready; sleep 600"]);
        var stdout = new MarkerStream("ready");
        var sandbox = await backend.CreateAsync(spec, new WorkloadIo(null, stdout, Stream.Null, ForwardSignals: false), TestContext.Current.CancellationToken);
        await sandbox.StartAsync(TestContext.Current.CancellationToken);
        await stdout.Seen.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await sandbox.DeleteAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"delete took {clock.Elapsed}");
        Assert.Equal(SandboxState.Stopped, sandbox.State);
        Assert.False(Directory.Exists(Path.Combine(root.Runs, sandbox.Id)));
    }

    private (ContainerBackend Backend, StateRoot Root) Backend()
    {
        var root = new StateRoot(_root);
        var options = Options.Create(new SandboxOptions { Runtime = "runc" });
        return (new ContainerBackend(root, name => OciSeccompEmitter.Emit(ProfileCatalog.Resolve(name)), options, NullLogger<ContainerBackend>.Instance), root);
    }

    private static WorkloadSpec Spec(StateRoot root, IReadOnlyList<string> command)
    {
        Image busybox = BusyboxImage.Get(root);
        var request = new RunRequest { Image = busybox.Reference, Command = command, Trust = TrustLevel.Trusted };
        var decision = new Decision(BackendKind.Container, "default", ResourceLimits.Default with { Timeout = TimeSpan.FromMinutes(2) }, "test");
        return WorkloadSpecBuilder.Build(request, busybox, decision, OciSeccompEmitter.Emit(ProfileCatalog.Resolve("default")));
    }
}
