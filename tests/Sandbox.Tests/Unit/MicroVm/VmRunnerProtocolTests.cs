using Sandbox.Backends.MicroVm;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

/// <summary>
/// A guest (or VMM) that floods the control port with one endless line is killed, and the run says
/// why, instead of the root launcher buffering the line (a stand-in VMM floods the control port).
/// </summary>
public sealed class VmRunnerProtocolTests : IDisposable
{
    private readonly StandInVmm _vmm = new();

    [Fact]
    public async Task An_endless_control_line_kills_the_vm_and_names_the_violation()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        VmOutcome outcome = await _vmm.RunAsync("""
            flood = b"x" * 65536
            while True:
                ports[0].sendall(flood)
            """);

        Assert.Equal("the guest sent a control message longer than 4096 bytes (the protocol's lines are a few dozen); the microVM was killed", outcome.ProtocolError);
        Assert.Null(outcome.ExitCode);
        Assert.False(outcome.TimedOut);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    public void Dispose() => _vmm.Dispose();
}
