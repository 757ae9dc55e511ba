using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Named volumes in microVMs (virtio-9p, mapped-xattr) and across backends. Every test boots real
/// microVMs (~7 s each under TCG) on the shared kernel root, with volumes of its own that it removes.
/// </summary>
public sealed class MicroVmVolumeTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly List<string> _volumes = [];

    private string NewVolume()
    {
        string name = "t-" + Guid.NewGuid().ToString("N")[..10];
        _volumes.Add(name);
        return name;
    }

    private string HostPath(string volume, string file = "") => Path.Combine(_cli.StateRoot, "volumes", volume, "data", file);

    private CliRun Vm(string volume, string script) =>
        _cli.Run(["run", "--trust", "untrusted", "-v", volume, "busybox", "sh", "-c", script], stdin: null, TimeSpan.FromMinutes(3));

    private CliRun Container(string volume, string script) =>
        _cli.Run(["run", "--trust", "trusted", "-v", volume, "busybox", "sh", "-c", script], stdin: null, TimeSpan.FromMinutes(1));

    [Fact]
    public void Data_written_in_a_container_is_read_in_a_microvm_and_back()
    {
        string v = NewVolume();
        Assert.Equal(0, _cli.Run("volume", "create", v, "--size", "16M").ExitCode); // an untrusted guest writes only to sized volumes
        Assert.Equal(0, Container($"{v}:/data", "echo 42 > /data/answer && mkdir /data/d && echo inner > /data/d/f").ExitCode);

        var vm = Vm($"{v}:/data", "cat /data/answer /data/d/f && echo 43 > /data/reply && grep -c 9p /proc/mounts");
        Assert.True(vm.ExitCode == 0, vm.ToString());
        Assert.Equal("42\ninner\n1\n", vm.Stdout); // really over 9p, from inside the guest

        var refused = Container($"{v}:/data", "true"); // the untrusted guest wrote it: trusted code may read it, not write it
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("trusted-must-not-write-tainted-volumes", refused.Stderr, StringComparison.Ordinal);
        var back = Container($"{v}:/data:ro", "cat /data/reply");
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Equal("43\n", back.Stdout);
        Assert.Equal("43\n", File.ReadAllText(HostPath(v, "reply"))); // and by the host owner directly
    }

    [Fact]
    public void The_legacy_5_10_guest_kernel_mounts_volumes_too_at_an_awkward_path()
    {
        string v = NewVolume();
        // An awkward target too: spaces, a quote, a backslash and a leading dash reach init's mount verbatim.
        var vm = _cli.Run(["run", "--trust", "untrusted", "--kernel", "debian-5.10", "-v", $"{v}:/-odd dir/it's a\\b", "busybox", "sh", "-c",
            "uname -r; echo legacy > \"/-odd dir/it's a\\b/f\""], stdin: null, TimeSpan.FromMinutes(3));
        Assert.True(vm.ExitCode == 0, vm.ToString());
        Assert.StartsWith("5.10.", vm.Stdout, StringComparison.Ordinal);
        Assert.Equal("legacy\n", File.ReadAllText(HostPath(v, "f")));
    }

    [Fact]
    public void Read_only_is_enforced_in_the_guest_and_by_the_vmm()
    {
        string v = NewVolume();
        Assert.Equal(0, Container($"{v}:/data", "echo original > /data/f").ExitCode);

        // Guest root has no capabilities: it can neither remount the bind nor mount the share afresh; and
        // were the guest kernel subverted, QEMU itself refuses writes (readonly=on, in the record below).
        var vm = Vm($"{v}:/data:ro",
            "! mount -o remount,rw /data && ! mount -t 9p -o trans=virtio,version=9p2000.L vol0 /mnt "
            + "&& ! echo b > /data/f && ! touch /data/new && ! mkdir /data/dir && ! rm /data/f && echo all-refused");
        Assert.True(vm.ExitCode == 0, vm.ToString());
        Assert.Contains("all-refused", vm.Stdout, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", vm.Stderr, StringComparison.Ordinal);
        Assert.Contains("permission denied", vm.Stderr, StringComparison.Ordinal);
        Assert.Equal("original\n", File.ReadAllText(HostPath(v, "f")));
        Assert.Equal(["f"], Directory.GetFileSystemEntries(HostPath(v)).Select(Path.GetFileName));

        // The audit record says how the volume was applied, as read back from the VMM's argv.
        string show = LastAuditRecordNaming(v);
        Assert.Contains("\"target\": \"/data\"", show, StringComparison.Ordinal);
        Assert.Contains("mapped-xattr of an ID-mapped bind, writes refused by QEMU", show, StringComparison.Ordinal);
    }

    [Fact]
    public void Symlinks_fifos_and_setuid_files_made_in_the_guest_are_plain_private_files_on_the_host()
    {
        string v = NewVolume();
        var vm = Vm($"{v}:/data",
            "ln -s / /data/to-root && ln -s /etc/shadow /data/to-shadow && ! mknod /data/mem c 1 1 && ! mknod /data/sda b 8 0 "
            + "&& mkfifo /data/fifo && echo x > /data/suid && chmod 6755 /data/suid && ls -l /data");
        Assert.True(vm.ExitCode == 0, vm.ToString());
        Assert.Contains("-> /", vm.Stdout, StringComparison.Ordinal); // the guest sees what it made
        Assert.Contains("rwsr-sr-x", vm.Stdout, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", vm.Stderr, StringComparison.Ordinal); // no CAP_MKNOD: no device nodes at all
        Assert.False(File.Exists(HostPath(v, "mem")) || File.Exists(HostPath(v, "sda")));

        foreach (string name in new[] { "to-root", "to-shadow", "fifo", "suid" })
        {
            var info = new FileInfo(HostPath(v, name));
            Assert.True(info.Exists, $"{name}: not a regular file on the host");
            Assert.Null(info.LinkTarget);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, info.UnixFileMode); // no setuid, nothing for others
        }

        Assert.Equal("/", File.ReadAllText(HostPath(v, "to-root"))); // a link's target is its content

        // A container sandbox sees those files as plain files too: nothing to follow, nothing to open as a device.
        var c = Container($"{v}:/data:ro", "for f in to-root fifo suid; do [ -f /data/$f ] && [ ! -L /data/$f ] && [ ! -u /data/$f ] || echo bad $f; done; echo checked");
        Assert.Equal("checked\n", c.Stdout);
    }

    [Fact]
    public void A_volume_the_guest_wrote_exports_as_the_guest_made_it_under_the_same_rules_as_a_container_s()
    {
        string v = NewVolume();
        var vm = Vm($"{v}:/data", "ln -s /etc/shadow /data/to-shadow && mkfifo /data/fifo && echo x > /data/suid && chmod 6755 /data/suid "
            + "&& mkdir -m 0750 /data/d && echo inner > /data/d/f && chmod 0640 /data/d/f");
        Assert.True(vm.ExitCode == 0, vm.ToString());
        string dir = Path.Combine(Path.GetTempPath(), $"sandbox-export-{Guid.NewGuid():N}");
        try
        {
            var export = _cli.Run("volume", "export", v, dir);
            Assert.True(export.ExitCode == 0, export.ToString());
            Assert.Contains("1 symlink(s)", export.Stderr, StringComparison.Ordinal);
            Assert.Contains("setuid/setgid dropped on 1", export.Stderr, StringComparison.Ordinal);
            Assert.Contains("left out fifo", export.Stderr, StringComparison.Ordinal);
            Assert.Equal("/etc/shadow", new FileInfo(Path.Combine(dir, "to-shadow")).LinkTarget); // a link again, never the host's file
            Assert.False(Path.Exists(Path.Combine(dir, "fifo")));
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(dir, "suid"))); // the guest's 6755, setid dropped
            Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(Path.Combine(dir, "d")));
            Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(Path.Combine(dir, "d", "f")));
            Assert.Equal("inner\n", File.ReadAllText(Path.Combine(dir, "d", "f")));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void An_image_symlink_at_the_mount_point_does_not_redirect_the_volume_in_the_guest()
    {
        string v = NewVolume();
        using var image = new LinkedImage(); // in the guest, its /data link would lead to init's own /etc
        // A host directory as the image needs a grant: the built-in policy gives it to trusted runs only.
        var run = _cli.Run(["run", "--trust", "trusted", "--backend", "microvm", "-v", $"{v}:/data", image.Rootfs, "/bin/sh", "-c",
            "echo vol > /data/written; /bin/busybox ls /etc"], stdin: null, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("marker\n", run.Stdout);
        Assert.Equal("vol\n", File.ReadAllText(HostPath(v, "written")));
    }

    [Fact]
    public void A_full_sized_volume_gives_enospc_in_the_guest()
    {
        string v = NewVolume();
        Assert.Equal(0, _cli.Run("volume", "create", v, "--size", "16M").ExitCode);
        var vm = Vm($"{v}:/data", "dd if=/dev/zero of=/data/big bs=1M count=64; echo dd=$?");
        Assert.Contains("No space left on device", vm.Stderr, StringComparison.Ordinal);
        Assert.Contains("dd=1", vm.Stdout, StringComparison.Ordinal);
        Assert.True(new FileInfo(HostPath(v, "big")).Length < 16L << 20);
    }

    [Fact]
    public void A_microvm_and_a_container_read_one_volume_at_the_same_time()
    {
        string v = NewVolume();
        Assert.Equal(0, Container($"{v}:/data", "seq 1 1000 > /data/numbers").ExitCode);
        using var vm = _cli.Start(["run", "--trust", "untrusted", "-v", $"{v}:/data:ro", "busybox", "sh", "-c", "wc -l < /data/numbers"]);
        using var container = _cli.Start(["run", "--trust", "trusted", "-v", $"{v}:/data:ro", "busybox", "sh", "-c", "sleep 2; wc -l < /data/numbers"]);
        Assert.Equal("1000\n", SandboxCli.Wait(container, TimeSpan.FromMinutes(1)).Stdout);
        Assert.Equal("1000\n", SandboxCli.Wait(vm, TimeSpan.FromMinutes(3)).Stdout);
    }

    [Fact]
    public void Volumes_a_microvm_cannot_carry_are_refused_before_anything_is_created()
    {
        string[] seven = [.. Enumerable.Range(0, 7).SelectMany(i => new[] { "-v", $"{NewVolume()}:/v{i}" })];
        var tooMany = _cli.Run(["run", "--trust", "untrusted", .. seven, "busybox", "true"], stdin: null);
        Assert.Equal(125, tooMany.ExitCode);
        Assert.Contains("at most 6 volumes", tooMany.Stderr, StringComparison.Ordinal);
        Assert.All(_volumes, name => Assert.False(Directory.Exists(Path.Combine(_cli.StateRoot, "volumes", name)), $"{name} was created"));
    }

    // Other test classes share this state root and its audit log: find this test's record by its volume.
    private string LastAuditRecordNaming(string volume)
    {
        var ids = _cli.Run("audit", "ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ')[0]);
        return ids.Reverse().Take(20).Select(id => _cli.Run("audit", "show", id, "--json").Stdout)
            .First(json => json.Contains(volume, StringComparison.Ordinal) && json.Contains("\"volumes\": [", StringComparison.Ordinal)
                && json.Contains("mapped-xattr", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        foreach (string v in _volumes)
        {
            _cli.Run("volume", "rm", "--force", v);
        }

        _cli.Dispose();
    }
}
