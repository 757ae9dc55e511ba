using System.Diagnostics;
using System.IO.Compression;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// `image import` of things that are not images: devices, FIFOs, executables, text, empty files and
/// empty tars. Each is refused with 125, a message saying what the file is and which formats are
/// accepted, before the state root is touched.
/// </summary>
public sealed class ImageInputTests : IDisposable
{
    private readonly SandboxCli _cli = new();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-input-").FullName;

    [Theory]
    [InlineData("/dev/zero", "is a character device")]
    [InlineData("/dev/null", "is a character device")]
    [InlineData("fifo", "is a FIFO (named pipe)")]
    public void Import_refuses_what_is_not_a_regular_file_or_directory(string source, string expected)
    {
        string path = source;
        if (source == "fifo")
        {
            path = Path.Combine(_work, "pipe");
            Tool.Run("mkfifo", path); // nobody ever writes it: reading would block forever
        }

        var clock = Stopwatch.StartNew();
        var run = Refused(["image", "import", path, "--name", "x:1"], expected);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains(path, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symlink_to_a_device_is_refused_as_the_device()
    {
        string link = Path.Combine(_work, "image.tar");
        File.CreateSymbolicLink(link, "/dev/zero");
        Refused(["image", "import", link, "--name", "x:1"], "/dev/zero is a character device");
    }

    [Theory]
    [InlineData("elf", "is an ELF executable")]
    [InlineData("random", "is data of an unknown format")]
    [InlineData("c-source", "is a text file")]
    [InlineData("empty-file", "is an empty file (0 bytes)")]
    [InlineData("empty-tar", "is an empty tar archive")]
    [InlineData("empty-tar-gz", "is a gzip-compressed empty tar archive")]
    [InlineData("text-gz", "is gzip-compressed data that is not a tar (a text file)")]
    [InlineData("xz", "is xz-compressed data")]
    public void Import_says_what_a_file_is_and_which_formats_are_accepted(string kind, string expected)
    {
        string path = Path.Combine(_work, kind);
        switch (kind)
        {
            case "elf":
                File.Copy("/bin/sh", path);
                break;
            case "random":
                File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(100_000));
                break;
            case "c-source":
                File.WriteAllText(path, "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n");
                break;
            case "empty-file":
                File.WriteAllBytes(path, []);
                break;
            case "empty-tar":
                Tool.Run("tar", "-cf", path, "-T", "/dev/null");
                break;
            case "empty-tar-gz":
                Tool.Run("tar", "-czf", path, "-T", "/dev/null");
                break;
            case "text-gz":
                using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
                {
                    gz.Write("just some text\n"u8);
                }

                break;
            default:
                File.WriteAllBytes(path, [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0, 1, 2, 3]);
                break;
        }

        var run = Refused(["image", "import", path, "--name", "x:1"], $"{path} {expected}");
        Assert.Contains("not an image", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unable to parse", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_root_filesystem_directory_is_refused_and_nothing_stays_in_the_store()
    {
        // It was "layer sha256:e3b0... is not a valid (compressed) tar: Unable to read beyond the end of the stream".
        string empty = Directory.CreateDirectory(Path.Combine(_work, "empty-rootfs")).FullName;
        string before = StateSnapshot.Of(_cli.StateRoot, "images");
        var run = _cli.Run("image", "import", empty, "--name", "empty:1");
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains($"root filesystem directory {empty} is empty: there is nothing to import", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, StateSnapshot.Of(_cli.StateRoot, "images"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cli.StateRoot, "images", "store", "tmp")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cli.StateRoot, "images", "store", "blobs", "sha256")));
    }

    [Fact]
    public void A_missing_path_names_the_path()
    {
        string path = Path.Combine(_work, "no-such.tar");
        Refused(["image", "import", path, "--name", "x:1"], $"{path}: no such file or directory");
    }

    [Fact]
    public void An_elf_that_once_imported_as_an_empty_rootfs_is_refused_even_with_a_name()
    {
        string elf = Path.Combine(_work, "some-elf");
        File.Copy("/bin/sh", elf);
        Refused(["image", "import", elf, "--name", "elf:1"], "ELF");
        Assert.Equal(125, _cli.Run("image", "inspect", "elf:1").ExitCode);
    }

    [Fact]
    public void A_compressed_archive_that_expands_beyond_the_layer_budget_is_refused_before_the_store_is_touched()
    {
        string bomb = Path.Combine(_work, "bomb.tar.gz");
        File.WriteAllBytes(bomb, new TarBuilder().ZeroFile("zeros", 256L << 20).BuildGzip()); // ~250 KiB expanding to 256 MiB
        string before = StateSnapshot.Of(_cli.StateRoot);
        var clock = Stopwatch.StartNew();
        var run = _cli.Run("image", "import", bomb, "--name", "bomb:1");
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains($"import of {bomb} refused", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("bytes allowed", run.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(before, StateSnapshot.Of(_cli.StateRoot));
    }

    [Fact]
    public void A_layout_blob_that_is_a_fifo_is_refused_without_blocking_and_nothing_stays_in_the_store()
    {
        string layout = Path.Combine(_work, "layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("a", new string('x', 5000)).Build()]);
        string blob = Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")).First(f => new FileInfo(f).Length > 4000);
        File.Delete(blob);
        Tool.Run("mkfifo", blob); // nobody writes it: opening it for reading would block forever

        var clock = Stopwatch.StartNew();
        var run = _cli.Run("image", "import", layout, "--name", "fifo:1");
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains("is a FIFO (named pipe), not an image", run.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        string store = Path.Combine(_cli.StateRoot, "images", "store");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store, "blobs", "sha256"))); // the index, manifest and config it had read are collected
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store, "tmp")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_cli.StateRoot, "images"), "sha256-*"));
    }

    /// <summary>Asserts 125, the message and the hint listing the accepted formats, and that the state root is untouched.</summary>
    [Fact]
    public void A_directory_holding_a_file_name_that_is_not_utf8_is_refused_naming_it_never_renamed()
    {
        string dir = Directory.CreateDirectory(Path.Combine(_work, "rootfs")).FullName;
        File.WriteAllText(Path.Combine(dir, "ok"), "x");
        const string Bad = "import os, sys; p = os.fsencode(sys.argv[2]) + b'/bad-\\xff\\xfe'; open(p, 'w').close() if sys.argv[1] == 'make' else os.unlink(p)";
        Tool.Run("python3", "-c", Bad, "make", dir); // .NET cannot name such a file
        try
        {
            string before = StateSnapshot.Of(_cli.StateRoot, "images");
            var run = _cli.Run("image", "import", dir, "--name", "bytes:1");
            Assert.True(run.ExitCode == 125, run.ToString());
            Assert.Contains("entry '/bad-\uFFFD\uFFFD' is not valid UTF-8", run.Stderr, StringComparison.Ordinal);
            Assert.Equal(before, StateSnapshot.Of(_cli.StateRoot, "images"));
            // The walk reads into the store: only its empty skeleton stays, no blob and no temporary file.
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cli.StateRoot, "images", "store", "tmp")));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cli.StateRoot, "images", "store", "blobs", "sha256")));
            Assert.DoesNotContain("bytes", _cli.Run("image", "ls").Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Tool.Run("python3", "-c", Bad, "remove", dir);
        }
    }

    private CliRun Refused(string[] args, string expected)
    {
        string before = StateSnapshot.Of(_cli.StateRoot);
        var run = _cli.Run(args);
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("docker-archive or oci-archive", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("OCI layout directory", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, StateSnapshot.Of(_cli.StateRoot));
        return run;
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
