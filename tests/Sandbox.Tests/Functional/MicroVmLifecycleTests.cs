using Microsoft.Extensions.DependencyInjection;
using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// The backend seam's lifecycle on the microVM backend, wired by the composition root: create
/// renders the VMM's jail and the guest's config and starts no VMM; start boots it; a signal reaches
/// the workload through guest init; delete removes the bundle and the runtime's state.
/// </summary>
public sealed class MicroVmLifecycleTests
{
    [Fact]
    public async Task Create_starts_no_vmm_start_boots_it_and_a_signal_reaches_the_workload_in_the_guest()
    {
        using var cli = MicroVmHost.Cli();
        var root = new StateRoot(cli.StateRoot);
        using var services = new ServiceCollection().AddSandbox(root, o => o.Runtime = "runc").BuildServiceProvider();
        var backend = services.GetRequiredService<BackendRegistry>().For(BackendKind.MicroVm);
        Image busybox = BusyboxImage.Get(root);
        var request = new RunRequest
        {
            Image = busybox.Reference, Trust = TrustLevel.Untrusted,
            Command = ["/bin/sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done"],
        };
        var decision = new Decision(BackendKind.MicroVm, "default", ResourceLimits.Default with { Timeout = TimeSpan.FromMinutes(3) }, "test")
        {
            Accelerator = Accelerator.Emulation,
            AllowEmulation = true,
        };
        var spec = WorkloadSpecBuilder.Build(request, busybox, decision, OciSeccompEmitter.Emit(ProfileCatalog.Resolve("default")));
        await backend.PreflightAsync(spec, [], TestContext.Current.CancellationToken);

        var stdout = new MarkerStream("ready");
        var sandbox = await backend.CreateAsync(spec, new WorkloadIo(null, stdout, Stream.Null, ForwardSignals: false), TestContext.Current.CancellationToken);
        string bundle = Path.Combine(root.Runs, sandbox.Id);
        try
        {
            Assert.Equal(SandboxState.Created, sandbox.State);
            Assert.True(File.Exists(Path.Combine(bundle, "config.json")), "create renders the VMM's jail");
            Assert.True(File.Exists(Path.Combine(bundle, "guest-config.json")), "create renders the guest's config");
            Assert.False(OciRuntime.Find("runc", root)!.HasState(sandbox.Id), "create starts no VMM");
            Assert.False(await sandbox.SignalAsync(15), "nothing runs in the guest yet");
            Assert.Equal("microvm", sandbox.Applied.Backend);

            await sandbox.StartAsync(TestContext.Current.CancellationToken);
            await stdout.Seen.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
            Assert.Equal(SandboxState.Running, sandbox.State);
            Assert.True(await sandbox.SignalAsync(15));
            var exit = await sandbox.WaitAsync();
            Assert.Equal(3, exit.ExitCode);
            Assert.Contains("got-term", stdout.Text, StringComparison.Ordinal);
            Assert.NotNull(sandbox.Applied.GuestConfirmation); // the guest's own report, after the run
        }
        finally
        {
            await sandbox.DeleteAsync();
        }

        Assert.False(Directory.Exists(bundle), "delete removes the bundle");
        Assert.False(OciRuntime.Find("runc", root)!.HasState(sandbox.Id), "delete removes the runtime's state");
    }
}
