using System.Net.Sockets;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>
/// The analysis report on the control port, against a stand-in "VMM" that connects to the
/// launcher's sockets as QEMU would and says what a guest init would: a report arrives whole into
/// its file; a report to a run that asked for none, or one above the limit, kills the VM.
/// </summary>
public sealed class ReportChannelTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("sandbox-report-channel-").FullName;

    private const string FakeRuntime = """
        #!/usr/bin/python3
        import os, signal, socket, sys, time
        args = sys.argv[1:]
        state = args[args.index("--root") + 1]
        if "kill" in args:
            os.kill(int(open(os.path.join(state, "pid")).read()), signal.SIGKILL)
            sys.exit(0)
        bundle = args[args.index("--bundle") + 1]
        open(os.path.join(state, "pid"), "w").write(str(os.getpid()))
        ports = []
        for name in ("control", "stdout", "stderr", "console"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(os.path.join(bundle, "io", name + ".sock"))
            ports.append(s)
        ports[0].sendall(open(os.path.join(bundle, "guest-says"), "rb").read())
        ports[0].recv(100)  # poweroff
        """;

    private async Task<(VmOutcome Outcome, string Report)> RunAsync(byte[] guestSays, bool analysis)
    {
        string python = Require.Tool("python3");
        string state = Directory.CreateDirectory(Path.Combine(_bundle, "state")).FullName;
        string runtime = Path.Combine(_bundle, "fake-runtime");
        File.WriteAllText(runtime, FakeRuntime.Replace("/usr/bin/python3", python, StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(runtime, (UnixFileMode)0b111_101_101);
        File.WriteAllBytes(Path.Combine(_bundle, "guest-says"), guestSays);
        string io = Directory.CreateDirectory(Path.Combine(_bundle, "io")).FullName;
        using var control = Listen(io, "control");
        using var stdout = Listen(io, "stdout");
        using var stderr = Listen(io, "stderr");
        using var console = Listen(io, "console");
        string report = Path.Combine(_bundle, "collector.tar");
        var outcome = await VmRunner.RunAsync(new OciRuntime("fake", runtime, state), _bundle, "sb-report", new VmRunner.Sockets(control, stdout, stderr, null, console),
            "spec 0 0 0\n"u8.ToArray(), new string('0', 64), WorkloadIo.Null, TimeSpan.FromMinutes(2), new PhaseTrace(), new ConsoleLog(),
            TestContext.Current.CancellationToken, analysis ? report : null);
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

    private static Socket Listen(string dir, string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, name + ".sock")));
        socket.Listen(1);
        return socket;
    }

    public void Dispose() => Directory.Delete(_bundle, recursive: true);
}
