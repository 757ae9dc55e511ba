using System.Formats.Tar;
using System.Text;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Functional;

/// <summary>`sandbox cp` with detached containers: files and trees in and out, tar streams, volumes, read-only parts, audit.</summary>
[Collection(SerialTests.Name)]
public sealed class CpTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _host = Directory.CreateTempSubdirectory("sandbox-cp-test-").FullName;

    [Fact]
    public void A_file_goes_in_owned_by_the_sandboxs_root_and_comes_back_out_unchanged()
    {
        string id = _cli.Detach("--name", "box", "busybox", "sleep", "300");
        string source = Path.Combine(_host, "in.txt");
        File.WriteAllText(source, "hello from the host\n");
        Ok(_cli.Run("cp", source, "box:/tmp/copied.txt"));
        Assert.Equal("hello from the host\n0:0\n", Ok(_cli.Run("exec", "box", "sh", "-c", "cat /tmp/copied.txt; stat -c %u:%g /tmp/copied.txt")).Stdout);

        Ok(_cli.Run("cp", source, "box:/tmp")); // into an existing directory: keeps its name
        Assert.Equal("hello from the host\n", Ok(_cli.Run("exec", "box", "cat", "/tmp/in.txt")).Stdout);

        Ok(_cli.Run("exec", "box", "sh", "-c", "echo made inside > /tmp/out.txt"));
        string back = Path.Combine(_host, "back.txt");
        Ok(_cli.Run("cp", "box:/tmp/out.txt", back));
        Assert.Equal("made inside\n", File.ReadAllText(back));

        var copies = AuditOf(_cli, id).Where(r => r.GetProperty("outcome").GetString() == "cp").ToList();
        Assert.Equal(3, copies.Count);
        var first = copies[0].GetProperty("copy");
        Assert.Equal(("in", "/tmp/copied.txt"), (first.GetProperty("direction").GetString(), first.GetProperty("path").GetString()));
        Assert.True(first.GetProperty("bytes").GetInt64() > 0);
        Assert.Matches("^[0-9a-f]{64}$", first.GetProperty("sha256").GetString());
        Assert.Equal("out", copies[2].GetProperty("copy").GetProperty("direction").GetString());
        Ok(_cli.Run("audit", "verify"));
    }

    [Fact]
    public void A_directory_tree_copies_both_ways_and_dash_is_a_tar_stream()
    {
        _cli.Detach("--name", "box", "busybox", "sleep", "300");
        Directory.CreateDirectory(Path.Combine(_host, "tree", "sub"));
        File.WriteAllText(Path.Combine(_host, "tree", "a.txt"), "a\n");
        File.WriteAllText(Path.Combine(_host, "tree", "sub", "b.txt"), "b\n");
        Ok(_cli.Run("cp", Path.Combine(_host, "tree"), "box:/tmp"));
        Assert.Equal("/tmp/tree/a.txt\n/tmp/tree/sub/b.txt\n", Ok(_cli.Run("exec", "box", "sh", "-c", "find /tmp/tree -type f | sort")).Stdout);

        var (exit, tar, stderr) = RunBytes(_cli, ["cp", "box:/tmp/tree", "-"], null);
        Assert.True(exit == 0, stderr);
        var entries = new Dictionary<string, string>();
        using (var reader = new TarReader(new MemoryStream(tar)))
        {
            while (reader.GetNextEntry() is { } e)
            {
                entries[e.Name] = e.DataStream is null ? "" : new StreamReader(e.DataStream).ReadToEnd();
            }
        }

        Assert.Equal("a\n", entries["tree/a.txt"]);
        Assert.Equal("b\n", entries["tree/sub/b.txt"]);
        Assert.Contains("tree/sub/", entries.Keys);

        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "streamed/") { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "streamed/c.txt") { DataStream = new MemoryStream("c\n"u8.ToArray()), Mode = (UnixFileMode)0b110_100_100 });
        }

        (exit, _, stderr) = RunBytes(_cli, ["cp", "-", "box:/tmp"], stream.ToArray());
        Assert.True(exit == 0, stderr);
        Assert.Equal("c\n", Ok(_cli.Run("exec", "box", "cat", "/tmp/streamed/c.txt")).Stdout);

        Ok(_cli.Run("cp", "box:/tmp/tree", Path.Combine(_host, "returned")));
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(_host, "returned", "sub", "b.txt")));
    }

    [Fact]
    public void A_volume_path_takes_copies_and_the_read_only_root_refuses_them_naming_the_path()
    {
        _cli.Detach("--name", "box", "-v", "cpvol:/data", "busybox", "sleep", "300");
        string source = Path.Combine(_host, "v.txt");
        File.WriteAllText(source, "into the volume\n");
        Ok(_cli.Run("cp", source, "box:/data/v.txt"));
        Assert.Equal("into the volume\n", Ok(_cli.Run("exec", "box", "cat", "/data/v.txt")).Stdout);
        Ok(_cli.Run("cp", "box:/data/v.txt", Path.Combine(_host, "v-back.txt")));
        Assert.Equal("into the volume\n", File.ReadAllText(Path.Combine(_host, "v-back.txt")));

        foreach (string target in new[] { "box:/etc/planted", "box:/bin" })
        {
            var refused = _cli.Run("cp", source, target);
            Assert.Equal(125, refused.ExitCode);
            Assert.Contains($"{target} is on a read-only part of the sandbox", refused.Stderr, StringComparison.Ordinal);
        }

        Assert.NotEqual(0, _cli.Run("exec", "box", "test", "-e", "/etc/planted").ExitCode);
        var missing = _cli.Run("cp", "box:/tmp/nothing-here", _host);
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains("no such file or directory in sandbox box: /tmp/nothing-here", missing.Stderr, StringComparison.Ordinal);

        // A device or FIFO asked for by name is refused naming what it is (before: an empty copy and
        // "Unable to read beyond the end of the stream").
        string fifo = Path.Combine(_host, "fifo");
        Tool.Run("mkfifo", fifo);
        foreach (var (args, what) in new[] { (new[] { "/dev/zero", "box:/tmp" }, "'/dev/zero' is a character device"), ([fifo, "box:/tmp"], $"'{fifo}' is a FIFO (named pipe)"),
            (["box:/dev/null", Path.Combine(_host, "null")], "'box:/dev/null' is a character device") })
        {
            var special = _cli.Run(["cp", .. args]);
            Assert.Equal(125, special.ExitCode);
            Assert.Contains($"cp: {what}: cp copies files, directories and symbolic links", special.Stderr, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(_host, "null")));
        Assert.Equal("", Ok(_cli.Run("exec", "box", "ls", "/tmp")).Stdout);
    }

    [Fact]
    public void A_copy_out_never_replaces_a_host_device_fifo_or_socket()
    {
        // `cp box:/tmp /dev/full` replaced the host's /dev/full with a directory. Here the device is a
        // node of the test's own (root makes it), and a FIFO stands at a path a copied tree also has.
        _cli.Detach("--name", "box", "busybox", "sh", "-c", "mkdir -p /tmp/t/dev && echo planted > /tmp/t/dev/pipe && sleep 300");
        Eventually(() => _cli.Run("exec", "box", "test", "-e", "/tmp/t/dev/pipe").ExitCode == 0, "the tree made");
        string device = Path.Combine(_host, "full");
        Tool.Run("mknod", "-m", "0666", device, "c", "1", "7");
        var onDevice = _cli.Run("cp", "box:/tmp", device);
        Assert.Equal(125, onDevice.ExitCode);
        Assert.Contains($"cp: '{device}' is a character device; cp never replaces a device, FIFO or socket", onDevice.Stderr, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite,
            File.GetUnixFileMode(device));
        Assert.Equal("c", Tool.Run("stat", "-c", "%F", device).Trim()[..1]); // still a character special file

        string into = Directory.CreateDirectory(Path.Combine(_host, "into", "t", "dev")).FullName;
        string pipe = Path.Combine(into, "pipe");
        Tool.Run("mkfifo", pipe);
        var onFifo = _cli.Run("cp", "box:/tmp/t", Path.Combine(_host, "into"));
        Assert.Equal(125, onFifo.ExitCode);
        Assert.Contains("'t/dev/pipe' is a FIFO (named pipe) here; cp never replaces a device, FIFO or socket", onFifo.Stderr, StringComparison.Ordinal);
        Assert.Equal("fifo", Tool.Run("stat", "-c", "%F", pipe).Trim());

        // A directory is not copied onto a file given as the destination (the file was replaced by it);
        // a file onto a file still replaces it.
        string report = Path.Combine(_host, "report.txt");
        File.WriteAllText(report, "keep\n");
        var onFile = _cli.Run("cp", "box:/tmp/t", report);
        Assert.Equal(125, onFile.ExitCode);
        Assert.Contains("'report.txt' is not a directory; a directory is not copied onto it", onFile.Stderr, StringComparison.Ordinal);
        Assert.Equal("keep\n", File.ReadAllText(report));
        Ok(_cli.Run("cp", "box:/tmp/t/dev/pipe", report));
        Assert.Equal("planted\n", File.ReadAllText(report));

        // An empty tar stream on stdin is named as such (it was "Unable to read beyond the end of the stream").
        var empty = _cli.Run(["cp", "-", "box:/tmp"], stdin: "");
        Assert.Equal(125, empty.ExitCode);
        Assert.Contains("cp: the tar stream ended early (it was empty or cut short)", empty.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        RemoveAll(_cli);
        _cli.Dispose();
        Directory.Delete(_host, recursive: true);
    }
}
