using Sandbox.Backends.MicroVm;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>
/// The analysis report on the control port, against a stand-in "VMM" that connects to the
/// launcher's sockets as QEMU would and says what a guest init would: a report arrives whole into
/// its file; a report to a run that asked for none, or one above the limit, kills the VM.
/// </summary>
public sealed class ReportChannelTests : IDisposable
{
    private readonly StandInVmm _vmm = new();

    // The stand-in says what a guest init would (from the file guest-says), then waits for poweroff.
    private async Task<(VmOutcome Outcome, string Report)> RunAsync(byte[] guestSays, bool analysis)
    {
        File.WriteAllBytes(Path.Combine(_vmm.Bundle, "guest-says"), guestSays);
        string report = Path.Combine(_vmm.Bundle, "collector.tar");
        var outcome = await _vmm.RunAsync("""
            ports[0].sendall(open(os.path.join(bundle, "guest-says"), "rb").read())
            ports[0].recv(100)  # poweroff
            """, analysis ? report : null);
        return (outcome, report);
    }

    private static byte[] Said(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    [Fact]
    public async Task A_report_arrives_whole_before_the_exit_line()
    {
        var (outcome, report) = await RunAsync(Said($"applied {new string('0', 64)} crun version 1\nready\nstarted\nreport 12\nhello\nexit 1\nexit 3 0 0\n"), analysis: true);
        Assert.Null(outcome.ProtocolError);
        Assert.True(outcome.ReportReceived);
        Assert.Equal("hello\nexit 1", File.ReadAllText(report)); // bytes, never read as control lines
        Assert.Equal(3, outcome.ExitCode);
    }

    [Fact]
    public async Task A_report_to_a_run_kills_the_vm()
    {
        var (outcome, report) = await RunAsync(Said($"applied {new string('0', 64)} crun version 1\nready\nstarted\nreport 5\nexit 0\n"), analysis: false);
        Assert.Equal("the guest sent an analysis report to a run that asked for none; the microVM was killed", outcome.ProtocolError);
        Assert.Null(outcome.ExitCode);
        Assert.False(File.Exists(report));
    }

    [Fact]
    public async Task A_report_above_the_limit_kills_the_vm_before_anything_is_written()
    {
        var (outcome, report) = await RunAsync(Said($"report {VmRunner.MaxReport + 1}\n"), analysis: true);
        Assert.Contains("analysis report of", outcome.ProtocolError, StringComparison.Ordinal);
        Assert.False(outcome.ReportReceived);
        Assert.False(File.Exists(report));
    }

    public void Dispose() => _vmm.Dispose();
}
