using System.Diagnostics;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>Named volumes with the container backend: persistence, ownership across ID ranges, limits, rules.</summary>
public sealed class VolumeTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    private CliRun Sh(string script, params string[] flags) =>
        _cli.Run(["run", "--trust", "trusted", .. flags, "busybox", "sh", "-c", script], stdin: null);

    [Fact]
    public void Data_survives_the_sandbox_and_is_readable_on_the_host()
    {
        Assert.Equal(0, Sh("echo 42 > /data/answer", "-v", "cases:/data").ExitCode);
        Assert.Equal("42\n", Sh("cat /data/answer", "-v", "cases:/data").Stdout);
        string onHost = Path.Combine(_cli.StateRoot, "volumes", "cases", "data", "answer");
        Assert.Equal("42\n", File.ReadAllText(onHost));
    }

    [Fact]
    public void Files_keep_their_owner_whichever_id_range_the_next_sandbox_gets()
    {
        // The first sandbox stays alive, so the second one must lease a different ID range.
        using var holder = _cli.Start(["run", "--trust", "trusted", "-v", "shared:/data", "busybox", "sh", "-c",
            "echo mine > /data/f; cat /proc/self/uid_map; sleep 20"]);
        string firstMap = holder.StandardOutput.ReadLine()!;
        var second = Sh("stat -c '%u:%g' /data/f; echo more >> /data/f && cat /data/f; cat /proc/self/uid_map", "-v", "shared:/data");
        string[] lines = second.Stdout.Split('\n');
        Assert.NotEqual(firstMap, lines[3]); // really another ID range
        Assert.Equal(["0:0", "mine", "more"], lines[..3]); // without the ID-mapped mount this would be 65534 and read-only
        Assert.Equal("0\n", HostOwner(Path.Combine(_cli.StateRoot, "volumes", "shared", "data", "f")));
        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();
    }

    [Fact]
    public void Read_only_mounts_refuse_writes()
    {
        Assert.Equal(0, Sh("echo x > /data/f", "-v", "ro-test:/data").ExitCode);
        var run = Sh("echo y > /data/f", "-v", "ro-test:/data:ro");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Read-only file system", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(_cli.StateRoot, "volumes", "ro-test", "data", "f")));
    }

    [Fact]
    public void Concurrent_readers_see_the_same_data()
    {
        Assert.Equal(0, Sh("seq 1 1000 > /data/numbers", "-v", "readers:/data").ExitCode);
        using var a = _cli.Start(["run", "--trust", "trusted", "-v", "readers:/data:ro", "busybox", "sh", "-c", "sleep 1; wc -l < /data/numbers"]);
        using var b = _cli.Start(["run", "--trust", "trusted", "-v", "readers:/data:ro", "busybox", "sh", "-c", "sleep 1; wc -l < /data/numbers"]);
        Assert.Equal("1000\n", SandboxCli.Wait(a, TimeSpan.FromSeconds(60)).Stdout);
        Assert.Equal("1000\n", SandboxCli.Wait(b, TimeSpan.FromSeconds(60)).Stdout);
    }

    [Fact]
    public void A_full_volume_gives_enospc_and_costs_the_host_no_more_than_its_size()
    {
        Assert.Equal(0, _cli.Run("volume", "create", "small", "--size", "8M").ExitCode);
        var run = Sh("dd if=/dev/zero of=/data/fill bs=1M count=64 2>&1; echo rc=$?", "-v", "small:/data");
        Assert.Contains("No space left on device", run.Stdout, StringComparison.Ordinal);
        // What the host spends is the backing file's allocated blocks, and a file never allocates past its size.
        string disk = Path.Combine(_cli.StateRoot, "volumes", "small", "disk.ext4");
        Assert.Equal(8L << 20, new FileInfo(disk).Length);
        long allocated = long.Parse(Stat(disk, "%b"), System.Globalization.CultureInfo.InvariantCulture) * 512;
        Assert.True(allocated <= 8L << 20, $"the volume's backing file holds {allocated} bytes of host disk for an 8 MiB volume");
    }

    [Fact]
    public void A_volume_in_use_cannot_be_removed_without_force()
    {
        Assert.Equal(0, _cli.Run("volume", "create", "busy").ExitCode);
        using var user = _cli.Start(["run", "--trust", "trusted", "-v", "busy:/data", "busybox", "sh", "-c", "echo ready; sleep 20"]);
        Assert.Equal("ready", user.StandardOutput.ReadLine());
        var refused = _cli.Run("volume", "rm", "busy");
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("in use", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _cli.Run("volume", "rm", "--force", "busy").ExitCode);
        user.Kill(entireProcessTree: true);
        user.WaitForExit();
        Assert.DoesNotContain("busy", _cli.Run("volume", "ls").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_symlink_at_the_mount_point_does_not_redirect_the_volume()
    {
        // CVE-2021-30465 style: the image's /data is a link to /etc; the volume must land at /data itself.
        using var image = new LinkedImage();
        string rootfs = image.Rootfs;
        var run = _cli.Run("run", "--trust", "trusted", "-v", "linked:/data", rootfs, "/bin/sh", "-c",
            "echo vol > /data/written; /bin/busybox ls /etc");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("marker\n", run.Stdout); // the image's /etc is untouched: the volume is not there
        Assert.True(File.Exists(Path.Combine(_cli.StateRoot, "volumes", "linked", "data", "written")));
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", "written")));
    }

    [Theory]
    [InlineData("/etc:/data", "bind mounts [/etc] are not allowed")]
    [InlineData("../x:/data", "must be absolute")]
    [InlineData("bad*name:/data", "not a valid volume name")]
    [InlineData("ok:relative", "absolute path")]
    [InlineData("ok:/proc/x", "/proc")]
    [InlineData("ok:/data:rx", "ro or rw")]
    [InlineData("ok:/", "absolute path")]
    public void Bad_volume_flags_exit_125_naming_the_problem(string flag, string expected)
    {
        var run = _cli.Run("run", "--trust", "trusted", "-v", flag, "busybox", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_mount_points_are_refused()
    {
        var run = _cli.Run("run", "--trust", "trusted", "-v", "a:/data", "-v", "b:/data/sub", "busybox", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("inside", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Volume_commands_list_inspect_and_refuse_bad_names()
    {
        Assert.Equal(0, _cli.Run("volume", "create", "listed", "--size", "4M").ExitCode);
        Assert.Equal(125, _cli.Run("volume", "create", "listed").ExitCode);
        Assert.Contains("\"name\": \"listed\"", _cli.Run("--json", "volume", "ls").Stdout, StringComparison.Ordinal);
        Assert.Contains("\"sizeBytes\": 4194304", _cli.Run("volume", "inspect", "listed").Stdout, StringComparison.Ordinal);
        Assert.Equal(125, _cli.Run("volume", "create", "bad/name").ExitCode);
        Assert.Equal(125, _cli.Run("volume", "inspect", "missing").ExitCode);
        Assert.Equal(0, _cli.Run("volume", "rm", "listed").ExitCode);
    }

    [Fact]
    public void No_mount_is_left_behind()
    {
        Assert.Equal(0, Sh("true", "-v", "tidy:/data").ExitCode);
        string runs = Path.Combine(_cli.StateRoot, "run");
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(runs, StringComparison.Ordinal));
    }

    [Fact]
    public void Launchers_that_find_a_sized_volume_unmounted_at_once_mount_it_once()
    {
        Assert.Equal(0, _cli.Run("volume", "create", "rebooted", "--size", "8M").ExitCode);
        Assert.Equal(0, Sh("echo kept > /data/f", "-v", "rebooted:/data").ExitCode);
        string data = Path.Combine(_cli.StateRoot, "volumes", "rebooted", "data");
        using (var umount = Process.Start("umount", data)) // as after a reboot
        {
            Assert.True(umount.WaitForExit(TimeSpan.FromSeconds(30)) && umount.ExitCode == 0);
        }

        Assert.Equal(0, MountsAt(data));

        var launchers = Enumerable.Range(0, 4)
            .Select(_ => _cli.Start(["run", "--trust", "trusted", "-v", "rebooted:/data:ro", "busybox", "cat", "/data/f"])).ToList();
        foreach (var l in launchers)
        {
            var run = SandboxCli.Wait(l, TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0 && run.Stdout == "kept\n", run.ToString());
            l.Dispose();
        }

        Assert.Equal(1, MountsAt(data));
    }

    private static int MountsAt(string path) =>
        File.ReadLines("/proc/self/mountinfo").Count(l => l.Split(' ')[4] == path);

    private static string HostOwner(string path) => Stat(path, "%u") + "\n";

    private static string Stat(string path, string format) => Tool.Run("stat", "-c", format, path).Trim();

    public void Dispose()
    {
        // Sized volumes are loop-mounted on the host: `volume rm` detaches them before the state root goes.
        string volumes = Path.Combine(_cli.StateRoot, "volumes");
        foreach (string dir in Directory.Exists(volumes) ? Directory.GetDirectories(volumes) : [])
        {
            _cli.Run("volume", "rm", "--force", Path.GetFileName(dir));
        }

        _cli.Dispose();
    }
}
