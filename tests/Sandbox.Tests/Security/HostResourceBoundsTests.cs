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

    [Fact]
    public void An_untrusted_guest_filling_a_volume_stops_at_the_policys_volume_size()
    {
        string volume = $"fill-{Guid.NewGuid():N}"[..17];
        string policy = Path.Combine(Path.GetTempPath(), $"{volume}.yaml");
        File.WriteAllText(policy, File.ReadAllText(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml")).Replace(
            "volumes: ['*']\n      allowEmulation: true", "volumes: ['*']\n      allowEmulation: true\n      limits: {volumeSize: 16M}", StringComparison.Ordinal));
        try
        {
            // 64 MiB into a volume the run creates: the policy sizes it, so the guest gets ENOSPC, not the host.
            var run = _cli.Run(["run", "--policy", policy, "-v", $"{volume}:/data", "busybox", "sh", "-c",
                "dd if=/dev/zero of=/data/big bs=1M count=64 2>/tmp/err; grep -o 'No space left on device' /tmp/err; ls -l /data/big | awk '{print $5}'"], stdin: "", TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.StartsWith("No space left on device\n", run.Stdout, StringComparison.Ordinal);
            Assert.True(long.Parse(run.Stdout.Split('\n')[1], CultureInfo.InvariantCulture) < 16L << 20, run.Stdout);
            var inspect = _cli.Run("volume", "inspect", volume, "--json");
            Assert.Contains("\"sizeBytes\": 16777216", inspect.Stdout, StringComparison.Ordinal);
            // Its host footprint is its disk image (the data directory is that image, mounted: -x leaves it out).
            long onHost = long.Parse(Tool.Run("du", "-s", "-x", "-B1", Path.Combine(_cli.StateRoot, "volumes", volume)).Split('\t')[0], CultureInfo.InvariantCulture);
            Assert.True(onHost <= (16L << 20) + (1L << 20), $"the volume takes {onHost} bytes of host disk");

            // An unsized volume is refused for an untrusted writer, before anything starts; later runs still work.
            string unsized = volume + "-u";
            Assert.Equal(0, _cli.Run("volume", "create", unsized).ExitCode);
            var refused = _cli.Run(["run", "-v", $"{unsized}:/data", "busybox", "true"], stdin: "", TimeSpan.FromMinutes(3));
            Assert.True(refused.ExitCode == 125, refused.ToString());
            Assert.Contains($"volume '{unsized}' has no size limit, and an untrusted sandbox writes only to sized volumes", refused.Stderr, StringComparison.Ordinal);
            _cli.Run("volume", "rm", unsized);
            Assert.Contains(File.ReadLines(Path.Combine(_cli.StateRoot, "audit", "audit.log")),
                l => l.Contains("\"outcome\":\"refused\"", StringComparison.Ordinal) && l.Contains(unsized, StringComparison.Ordinal) && l.Contains("has no size limit", StringComparison.Ordinal)
                    && l.Contains("\"refusedBy\":\"check\"", StringComparison.Ordinal)); // the policy allowed it: policy diff --audit replays an allow
        }
        finally
        {
            _cli.Run("volume", "rm", volume);
            File.Delete(policy);
        }
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
