using System.Diagnostics;
using System.Formats.Tar;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Container root can leave setuid-root files, links to host secrets and FIFOs in a volume. On the
/// host the volume's storage is nosuid,nodev, and `volume export` hands its data to host users
/// without following a link, without a setuid/setgid bit and without special files.
/// </summary>
public sealed class VolumeExportTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"sandbox-export-{Guid.NewGuid():N}");

    private string Data => Path.Combine(_cli.StateRoot, "volumes", "planted", "data");

    private void Plant()
    {
        var run = _cli.Run("run", "--trust", "trusted", "-v", "planted:/data", "busybox", "sh", "-c",
            "cp /bin/busybox /data/suid && chmod 6755 /data/suid && ln -s /etc/shadow /data/shadow && mkfifo /data/fifo && mkdir /data/d && echo inner > /data/d/f");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal((UnixFileMode)0b110_111_101_101, File.GetUnixFileMode(Path.Combine(Data, "suid"))); // the planted bits are really there
    }

    [Fact]
    public void Volume_storage_is_nosuid_and_nodev_on_the_host()
    {
        Plant();
        string line = File.ReadLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == Data);
        string[] options = line.Split(' ')[5].Split(',');
        Assert.Contains("nosuid", options);
        Assert.Contains("nodev", options);
    }

    [Fact]
    public void Export_to_a_directory_drops_setid_bits_copies_links_as_links_and_leaves_out_fifos()
    {
        Plant();
        var export = _cli.Run("volume", "export", "planted", _out);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains("setuid/setgid dropped on 1", export.Stderr, StringComparison.Ordinal);
        Assert.Contains("left out fifo", export.Stderr, StringComparison.Ordinal);

        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(_out, "suid")));
        Assert.Equal(File.ReadAllBytes("/bin/busybox"), File.ReadAllBytes(Path.Combine(_out, "suid")));
        Assert.Equal("/etc/shadow", new FileInfo(Path.Combine(_out, "shadow")).LinkTarget); // a link, never the host's file
        Assert.False(Path.Exists(Path.Combine(_out, "fifo")));
        Assert.Equal("inner\n", File.ReadAllText(Path.Combine(_out, "d", "f")));

        var again = _cli.Run("volume", "export", "planted", _out);
        Assert.True(again.ExitCode == 125, again.ToString());
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_forged_guest_mode_attribute_makes_at_most_a_link_or_a_left_out_entry()
    {
        // Whoever can write the volume's files can set user.virtfs.mode, which export reads for what a
        // microVM made (QEMU keeps a guest's symlinks and FIFOs that way). Set here from the host.
        var run = _cli.Run("run", "--trust", "trusted", "-v", "planted:/data", "busybox", "sh", "-c",
            "printf 'a\\0b' > /data/nul-link && echo /etc/shadow > /data/link && echo text > /data/fifo && echo kept > /data/mode");
        Assert.True(run.ExitCode == 0, run.ToString());
        string Set(string name, int mode) => Tool.Run("python3", "-c",
            $"import os, struct; os.setxattr('{Path.Combine(Data, name)}', 'user.virtfs.mode', struct.pack('<I', {mode}))");
        Set("nul-link", 0b1_010_000_111_111_111); // S_IFLNK | 0777, but a NUL in the "target"
        Set("link", 0b1_010_000_111_111_111);
        Set("fifo", 0b0_001_000_110_100_100);     // S_IFIFO | 0644
        Set("mode", 0b0_1000_110_111_101_101);    // S_IFREG | 06755
        File.WriteAllText(Path.Combine(Data, "link"), "/etc/shadow"); // a guest link's file holds the target alone

        var export = _cli.Run("volume", "export", "planted", _out);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal(new byte[] { (byte)'a', 0, (byte)'b' }, File.ReadAllBytes(Path.Combine(_out, "nul-link"))); // a file, read whole
        Assert.Null(new FileInfo(Path.Combine(_out, "nul-link")).LinkTarget);
        Assert.Equal("/etc/shadow", new FileInfo(Path.Combine(_out, "link")).LinkTarget); // a link, never followed
        Assert.False(Path.Exists(Path.Combine(_out, "fifo")));
        Assert.Contains("left out fifo", export.Stderr, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(_out, "mode"))); // setuid/setgid dropped
    }

    [Fact]
    public void A_name_that_is_not_utf8_is_said_to_be_left_out_never_silently_dropped()
    {
        var plant = _cli.RunBytes([.. new[] { "run", "--trust", "trusted", "-v", "planted:/data", "busybox", "sh", "-c", "echo kept > /data/kept; touch \"/data/$1\"", "sh" }
            .Select(System.Text.Encoding.UTF8.GetBytes), [0xff, (byte)'x']]);
        Assert.True(plant.ExitCode == 0, plant.ToString());
        var export = _cli.Run("volume", "export", "planted", _out);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains("left out \uFFFDx: its name is not UTF-8", export.Stderr, StringComparison.Ordinal);
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(_out, "kept")));
    }

    [Fact]
    public void Export_to_stdout_is_a_tar_with_the_same_rules()
    {
        Plant();
        var psi = new ProcessStartInfo(RepoPaths.SandboxBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--root", _cli.StateRoot, "volume", "export", "planted", "-" })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var tar = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(tar);
        string err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, err);
        tar.Position = 0;
        var entries = new Dictionary<string, TarEntry>();
        using (var reader = new TarReader(tar))
        {
            while (reader.GetNextEntry(copyData: true) is { } e)
            {
                entries[e.Name.TrimEnd('/')] = e;
            }
        }

        Assert.Equal(["d", "d/f", "shadow", "suid"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(TarEntryType.SymbolicLink, entries["shadow"].EntryType);
        Assert.Equal("/etc/shadow", entries["shadow"].LinkName);
        Assert.Equal((UnixFileMode)0b111_101_101, entries["suid"].Mode);
    }

    public void Dispose()
    {
        _cli.Dispose();
        if (Directory.Exists(_out))
        {
            Directory.Delete(_out, recursive: true);
        }
    }
}
