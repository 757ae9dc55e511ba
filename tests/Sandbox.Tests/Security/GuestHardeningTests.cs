using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Attacks an untrusted workload runs from inside the microVM against the trusted side of the guest
/// (init, its control port, the guest kernel), each asserted to fail; and the record checked against
/// what the workload itself observes. Several attacks share one boot (~6-10 s each under TCG).
/// </summary>
public sealed class GuestHardeningTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _image;

    public GuestHardeningTests()
    {
        _image = $"probe-guest-{Guid.NewGuid():N}"[..24] + ":1";
        var import = _cli.Run("image", "import", ProbeImage.Path, "--name", _image);
        Assert.True(import.ExitCode == 0, import.ToString());
    }

    private CliRun Vm(params string[] args) =>
        _cli.Run(["run", "--trust", "untrusted", "--backend", "microvm", _image, .. args], stdin: null, TimeSpan.FromMinutes(3));

    [Fact]
    public void The_workload_cannot_forge_its_exit_status_through_init_descriptors()
    {
        // pidfd_getfd on every visible process and descriptor, a forged "exit 0" written into each, then exit 9.
        var run = Vm("/probe", "forge", "9");
        Assert.True(run.ExitCode == 9, run.ToString());
        Assert.False(ProbeBinary.ParseOutput(run.Stdout).Ok, run.ToString());
        using var record = LastRecord();
        Assert.Equal(9, record.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Equal("exited", record.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public void Guest_root_cannot_reach_the_guest_kernel_or_init()
    {
        var run = Vm("/bin/sh", "-c",
            "/probe module; /probe reboot; /probe kexec; /probe write /proc/sysrq-trigger; /probe mknod /tmp/port; "
            + "/probe read /dev/vport0p1; /probe read /dev/vport1p1; /probe read /dev/hvc0; /probe mount; /probe unshare user; "
            + "for p in /proc/[0-9]*; do echo \"cmdline ${p#/proc/}: $(cat $p/cmdline | tr '\\0' ' ')\"; done");
        Assert.True(run.ExitCode == 0, run.ToString());
        var verdicts = run.Stdout.Split('\n').Where(l => l.Contains(": ", StringComparison.Ordinal) && !l.StartsWith("cmdline", StringComparison.Ordinal))
            .Select(ProbeBinary.Parse).ToList();
        Assert.Equal(10, verdicts.Count);
        Assert.All(verdicts, v => Assert.False(v.Ok, $"{v.Check} succeeded in the guest:\n{run}"));
        Assert.Equal("EPERM", verdicts.Single(v => v.Check == "module").ErrnoName);
        Assert.Equal("EPERM", verdicts.Single(v => v.Check == "reboot").ErrnoName);
        Assert.Equal("EPERM", verdicts.Single(v => v.Check == "mknod").ErrnoName);
        Assert.All(verdicts.Where(v => v.Check == "read"), v => Assert.Equal("ENOENT", v.ErrnoName)); // no virtio port in its /dev
        // Its PID namespace holds only its own processes: init (PID 1 of the guest) is not there.
        var processes = run.Stdout.Split('\n').Where(l => l.StartsWith("cmdline", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(processes);
        Assert.All(processes, p => Assert.DoesNotContain("init", p, StringComparison.Ordinal));
        Assert.Contains("cmdline 1: /bin/sh -c", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_record_states_what_the_workload_observes_in_the_guest()
    {
        var run = Vm("/bin/sh", "-c", "/probe caps; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status");
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            Assert.Contains($"{set}:\t0000000000000000", run.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("NoNewPrivs:\t1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", run.Stdout, StringComparison.Ordinal);

        using var record = LastRecord();
        var applied = record.RootElement.GetProperty("applied");
        Assert.Equal("microvm", applied.GetProperty("backend").GetString());
        Assert.True(applied.GetProperty("noNewPrivileges").GetBoolean());
        Assert.All(applied.GetProperty("capabilities").EnumerateObject(), set => Assert.Equal(0, set.Value.GetArrayLength()));
        Assert.Contains("pid", applied.GetProperty("namespaces").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains("crun version", applied.GetProperty("guestConfirmation").GetString(), StringComparison.Ordinal);

        // The filter is the container backend's default profile, byte for byte.
        var container = _cli.Run(["run", "--trust", "trusted", "--backend", "container", _image, "/bin/true"], stdin: null);
        Assert.True(container.ExitCode == 0, container.ToString());
        using var containerRecord = LastRecord();
        Assert.Equal("container", containerRecord.RootElement.GetProperty("applied").GetProperty("backend").GetString());
        Assert.Equal(containerRecord.RootElement.GetProperty("applied").GetProperty("seccompSha256").GetString(),
            applied.GetProperty("seccompSha256").GetString());
    }

    // Other test classes share this state root and its audit log: this test's records name its own image.
    private JsonDocument LastRecord()
    {
        string log = Path.Combine(_cli.StateRoot, "audit", "audit.log");
        string last = File.ReadLines(log).Last(l => l.Contains(_image, StringComparison.Ordinal) && !l.Contains("\"outcome\":\"started\"", StringComparison.Ordinal));
        return JsonDocument.Parse(last);
    }

    public void Dispose()
    {
        _cli.Run("image", "rm", _image);
        _cli.Dispose();
    }
}
