using System.Net.Sockets;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

/// <summary>
/// A guest (or VMM) that floods the control port with one endless line is killed, and the run says
/// why, instead of the root launcher buffering the line. The "VMM" here is a stand-in runtime
/// that connects to the launcher's sockets as QEMU would and floods the control port.
/// </summary>
public sealed class VmRunnerProtocolTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("sandbox-vmrunner-").FullName;

    private const string FakeRuntime = """
        #!/usr/bin/python3
        import os, signal, socket, sys
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
        flood = b"x" * 65536
        while True:
            ports[0].sendall(flood)
        """;

    [Fact]
    public async Task An_endless_control_line_kills_the_vm_and_names_the_violation()
    {
        string python = Require.Tool("python3");
        string state = Directory.CreateDirectory(Path.Combine(_bundle, "state")).FullName;
        string runtime = Path.Combine(_bundle, "fake-runtime");
        File.WriteAllText(runtime, FakeRuntime.Replace("/usr/bin/python3", python, StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(runtime, (UnixFileMode)0b111_101_101);
        string io = Directory.CreateDirectory(Path.Combine(_bundle, "io")).FullName;
        using var control = Listen(io, "control");
        using var stdout = Listen(io, "stdout");
        using var stderr = Listen(io, "stderr");
        using var console = Listen(io, "console");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        VmOutcome outcome = await VmRunner.RunAsync(new OciRuntime("fake", runtime, state), _bundle, "sb-flood", new VmRunner.Sockets(control, stdout, stderr, null, console),
            "spec 0 0 0\n"u8.ToArray(), new string('0', 64), WorkloadIo.Null, TimeSpan.FromMinutes(2), new PhaseTrace(enabled: false), new ConsoleLog(), TestContext.Current.CancellationToken);

        Assert.Equal("the guest sent a control message longer than 4096 bytes (the protocol's lines are a few dozen); the microVM was killed", outcome.ProtocolError);
        Assert.Null(outcome.ExitCode);
        Assert.False(outcome.TimedOut);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
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
