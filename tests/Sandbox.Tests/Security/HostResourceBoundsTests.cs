using System.Diagnostics;
using System.Globalization;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// What a guest can make grow on the host is bounded (SECURITY.md, "Bounded host resources"):
/// a guest that floods its console fills neither the host's disk nor the root launcher's memory.
/// The control port and QEMU's own output are flooded in Unit/MicroVm/BoundedStreamTests.
/// </summary>
public sealed class HostResourceBoundsTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();

    [Fact]
    public async Task A_guest_flooding_its_console_fills_neither_the_host_disk_nor_the_launcher()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        const int Flood = 2_000_000; // ~10 s of emulated serial port; 30x the console's bound
        // Guest root makes its own console node (the workload's /dev has none); a guest that cannot
        // has no console to flood, which the test accepts as the attack failing earlier.
        string script = string.Create(CultureInfo.InvariantCulture,
            $"if mknod /dev/console c 5 1 2>/dev/null; then head -c {Flood} /dev/zero | tr '\\0' x >/dev/console; echo flooded; else echo no-console; fi; sleep 4; echo end");
        using var launcher = _cli.Start(["run", "--backend", "microvm", "busybox", "sh", "-c", script], redirectStdin: true);
        launcher.StandardInput.Close();
        var stderr = launcher.StandardError.ReadToEndAsync(ct);

        string? first = await launcher.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromMinutes(3), ct);
        long onDisk = -1, peakKiB = -1;
        if (first == "flooded")
        {
            // While the VM still runs: whatever the run keeps for the console is in its directory now.
            string id = RunningSandbox.Id(launcher.Id);
            onDisk = RegularFileBytes(Path.Combine(_cli.StateRoot, "run", id));
            peakKiB = PeakRssKiB(launcher.Id);
        }

        string rest = await launcher.StandardOutput.ReadToEndAsync(ct);
        Assert.True(launcher.WaitForExit(TimeSpan.FromMinutes(2)), "the launcher did not exit");
        string err = await stderr;
        Assert.True(launcher.ExitCode == 0, $"exit {launcher.ExitCode}\n{first}\n{rest}\n{err}");
        Assert.Equal("end\n", rest);
        if (first == "no-console")
        {
            return; // the hardened guest gave the workload no way to reach the console
        }

        Assert.Equal("flooded", first);
        Assert.True(onDisk < 64 * 1024, $"the run directory holds {onDisk} bytes of files after a {Flood}-byte console flood");
        Assert.True(peakKiB < 96 * 1024, $"the launcher's peak RSS was {peakKiB} KiB");

        // Later runs still work and every run is audited.
        var again = _cli.Run(["run", "--backend", "microvm", "busybox", "true"], stdin: "", TimeSpan.FromMinutes(3));
        Assert.True(again.ExitCode == 0, again.ToString());
    }

    // The run's own files: io/ is the one directory the jailed VMM writes (its sockets, and once its console log).
    private static long RegularFileBytes(string runDir) =>
        new DirectoryInfo(Path.Combine(runDir, "io")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static long PeakRssKiB(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public void Dispose() => _cli.Dispose();
}
