using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>Nothing outlives a sandbox: not its container, cgroups, runtime state, run directory or ID lease.</summary>
/// <remarks>Serial: a reaped lease slot is only rewritten when the next run takes that same slot, which
/// concurrent container tests would take first.</remarks>
[Collection(SerialTests.Name)]
public sealed class TeardownTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void A_finished_run_leaves_nothing_behind()
    {
        using var launcher = _cli.Start(["run", "--trust", "trusted", "busybox", "sleep", "2"]);
        string id = WaitForRunId();
        string[] cgroups = CgroupDirs(id).ToArray();
        Assert.Contains(cgroups, Directory.Exists);

        Assert.Equal(0, SandboxCli.Wait(launcher, TimeSpan.FromSeconds(60)).ExitCode);
        AssertGone(id, cgroups);
    }

    [Fact]
    public void A_killed_launcher_is_cleaned_up_by_the_next_run()
    {
        using var launcher = _cli.Start(["run", "--trust", "trusted", "busybox", "sleep", "300"]);
        string id = WaitForRunId();
        string[] cgroups = CgroupDirs(id).ToArray();
        string image = Path.Combine(_cli.StateRoot, "run", id, "image"); // the rootfs's ID-mapped bind
        Assert.Contains(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == image);
        launcher.Kill(entireProcessTree: false); // SIGKILL: no chance to tear down
        launcher.WaitForExit();
        Assert.True(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), "the orphan should still be there before reaping");

        Assert.Equal(0, _cli.Run("run", "--trust", "trusted", "busybox", "true").ExitCode);
        AssertGone(id, cgroups);
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == image);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_cli.StateRoot, "images"), "busybox", SearchOption.AllDirectories)); // detached, never deleted through
    }

    [Fact]
    public void A_killed_launcher_with_a_volume_leaves_no_mount_after_reaping()
    {
        using var launcher = _cli.Start(["run", "--trust", "trusted", "-v", "reaped:/data", "busybox", "sleep", "300"]);
        string id = WaitForRunId();
        string runDir = Path.Combine(_cli.StateRoot, "run", id);
        Assert.Contains(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(runDir, StringComparison.Ordinal));
        launcher.Kill(entireProcessTree: false);
        launcher.WaitForExit();

        Assert.Equal(0, _cli.Run("run", "--trust", "trusted", "busybox", "true").ExitCode);
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(runDir, StringComparison.Ordinal));
        Assert.False(Directory.Exists(runDir));
        Assert.True(Directory.Exists(Path.Combine(_cli.StateRoot, "volumes", "reaped", "data")), "reaping must never delete volume data");
    }

    [Fact]
    public void A_runtime_that_never_creates_the_container_is_killed_at_the_start_deadline()
    {
        // A runc whose `run` hangs before creating anything, as `runc init` did when its state root
        // was deleted under it. Everything else goes to a copy of the real runc. The launcher never
        // looks in the caller's PATH, so the fake is bound over the real one in a mount namespace
        // of this launcher's own.
        string fake = Directory.CreateTempSubdirectory("sandbox-stuck-runc-").FullName;
        try
        {
            string real = Require.Tool("runc");
            File.Copy(real, Path.Combine(fake, "runc.real"));
            string runc = Path.Combine(fake, "runc");
            File.WriteAllText(runc, $"#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = run ] && exec sleep 6173; done\nexec {fake}/runc.real \"$@\"\n");
            File.SetUnixFileMode(runc, (UnixFileMode)0b111_101_101);
            var psi = new System.Diagnostics.ProcessStartInfo(Require.Tool("unshare"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { "-m", "--propagation", "private", "sh", "-c", "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sh",
                runc, real, RepoPaths.SandboxBinary, "--root", _cli.StateRoot, "run", "--trust", "trusted", "busybox", "true" })
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["SANDBOX_RUNTIME"] = "runc";
            psi.Environment["SANDBOX_START_TIMEOUT"] = "2";
            var run = SandboxCli.Wait(System.Diagnostics.Process.Start(psi)!, TimeSpan.FromSeconds(60));
            Assert.Equal(125, run.ExitCode);
            Assert.Contains("runc did not create the container within 2s and was killed", run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(Directory.EnumerateDirectories("/proc", "[0-9]*"), p => ReadShared(Path.Combine(p, "cmdline")).Contains("6173", StringComparison.Ordinal));
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(_cli.StateRoot, "run")), e => Path.GetFileName(e).StartsWith("sb-", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(fake, recursive: true);
        }
    }

    private void AssertGone(string id, string[] cgroups)
    {
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "run", id)), "run directory left behind");
        Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "runtime", "runc", id)), "runtime state left behind");
        foreach (string cgroup in cgroups)
        {
            Assert.False(Directory.Exists(cgroup), $"cgroup {cgroup} left behind");
        }

        foreach (string lease in Directory.EnumerateFiles("/run/sandbox/leases"))
        {
            Assert.DoesNotContain(id, ReadShared(lease), StringComparison.Ordinal);
        }
    }

    private string WaitForRunId()
    {
        string runs = Path.Combine(_cli.StateRoot, "run");
        for (int i = 0; i < 300; i++)
        {
            if (Directory.Exists(runs) && Directory.GetDirectories(runs) is [var dir]
                && CgroupDirs(Path.GetFileName(dir)).Any(Directory.Exists))
            {
                return Path.GetFileName(dir);
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException("no sandbox started within 15 s");
    }

    // cgroup v1 has one hierarchy per controller; v2 one tree. Either way the sandbox lives under /sandbox/<id>.
    private static IEnumerable<string> CgroupDirs(string id) =>
        new[] { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup" }
            .Select(c => Path.Combine(c, "sandbox", id));

    private static string ReadShared(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(fs).ReadToEnd();
        }
        catch (IOException)
        {
            return string.Empty; // held by another live sandbox: not ours
        }
    }

    public void Dispose() => _cli.Dispose();
}
