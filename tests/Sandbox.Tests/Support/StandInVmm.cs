using System.Net.Sockets;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm;
using Sandbox.Backends.MicroVm.Guest;
using Sandbox.Runtime;
using Sandbox.Telemetry;

namespace Sandbox.Tests.Support;

/// <summary>
/// A stand-in for the jailed QEMU: an "OCI runtime" (python3) that connects to the launcher's
/// port sockets in the bundle as QEMU would, then plays <c>guest</c>, a python snippet with the
/// connected ports in <c>ports</c> (control, stdout, stderr, console) and the bundle path in
/// <c>bundle</c>. `kill` kills it. Tests of VmRunner's protocol handling use it instead of a VM.
/// </summary>
public sealed class StandInVmm : IDisposable
{
    private const string Prelude = """
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

        """;

    public string Bundle { get; } = Directory.CreateTempSubdirectory("sandbox-stand-in-vmm-").FullName;

    /// <summary>Runs VmRunner against the stand-in playing <paramref name="guest"/>.</summary>
    public async Task<VmOutcome> RunAsync(string guest, string? reportPath = null)
    {
        string python = Require.Tool("python3");
        string state = Directory.CreateDirectory(Path.Combine(Bundle, "state")).FullName;
        string runtime = Path.Combine(Bundle, "fake-runtime");
        File.WriteAllText(runtime, $"#!{python}\n{Prelude}{guest}\n");
        File.SetUnixFileMode(runtime, (UnixFileMode)0b111_101_101);
        string io = Directory.CreateDirectory(Path.Combine(Bundle, "io")).FullName;
        using var control = Listen(io, "control");
        using var stdout = Listen(io, "stdout");
        using var stderr = Listen(io, "stderr");
        using var console = Listen(io, "console");
        return await VmRunner.RunAsync(new OciRuntime("fake", runtime, state), Bundle, "sb-stand-in", new VmRunner.Sockets(control, stdout, stderr, null, console),
            "spec 0 0 0\n"u8.ToArray(), new string('0', 64), WorkloadIo.Null, TimeSpan.FromMinutes(2), new SandboxOptions().BootTimeout, new PhaseTrace(enabled: false), new ConsoleLog(),
            TestContext.Current.CancellationToken, reportPath: reportPath);
    }

    private static Socket Listen(string dir, string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, name + ".sock")));
        socket.Listen(1);
        return socket;
    }

    public void Dispose() => Directory.Delete(Bundle, recursive: true);
}
