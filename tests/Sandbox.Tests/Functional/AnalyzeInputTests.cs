using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>`sandbox analyze` refuses what it cannot analyze with 125 and a clear message, before any VM starts, and leaves no output directory.</summary>
public sealed class AnalyzeInputTests : IDisposable
{
    private readonly SandboxCli _cli = new();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-analyze-input-").FullName;

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private CliRun Analyze(params string[] args) => _cli.Run(["analyze", "--out", Path.Combine(_work, "out"), .. args]);

    [Fact]
    public void A_dynamic_program_without_an_image_names_its_missing_loader()
    {
        var run = Analyze("/usr/bin/env"); // Debian's: dynamically linked
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("/lib64/ld-linux-x86-64.so.2", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("PT_INTERP", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--image", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work, "out")));
    }

    [Fact]
    public void A_script_without_an_image_names_its_interpreter()
    {
        string script = Path.Combine(_work, "s.py");
        File.WriteAllText(script, "#!/usr/bin/python3 -u\nprint(1)\n");
        var run = Analyze(script);
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("/usr/bin/python3", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("#!", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_network_mode_is_refused_naming_the_valid_ones()
    {
        var run = Analyze("--network", "host", "/bin/busybox");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("--network: 'host' is not valid", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("none or sinkhole", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work, "out")));
    }

    [Theory]
    [InlineData("/dev/zero")] // read to its end, it never ends: the launcher ran out of memory (exit 134)
    [InlineData("fifo")] // opened for reading, it waits for a writer
    public void A_device_or_fifo_is_refused_at_once_as_not_a_regular_file(string file)
    {
        if (file == "fifo")
        {
            file = Path.Combine(_work, "fifo");
            Tool.Run("mkfifo", file);
        }

        var run = _cli.Run(["analyze", "--out", Path.Combine(_work, "out"), file], stdin: null, TimeSpan.FromSeconds(30));
        Assert.Equal(125, run.ExitCode);
        Assert.Contains(file == "/dev/zero" ? "is a character device, not a regular file" : "is a FIFO (named pipe), not a regular file", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work, "out")));
    }

    [Fact]
    public void A_directory_and_a_missing_path_are_named_as_such()
    {
        // Both were "is not a file".
        var directory = Analyze(_work);
        Assert.Equal(125, directory.ExitCode);
        Assert.Contains($"'{_work}' is a directory, not a regular file", directory.Stderr, StringComparison.Ordinal);

        string missing = Path.Combine(_work, "no-such-sample");
        var gone = Analyze(missing);
        Assert.Equal(125, gone.ExitCode);
        Assert.Contains($"'{missing}': no such file or directory", gone.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work, "out")));
    }

    [Fact]
    public void Not_a_program_and_an_existing_output_directory_are_refused()
    {
        string data = Path.Combine(_work, "data.bin");
        File.WriteAllBytes(data, [1, 2, 3, 4]);
        var run = Analyze(data);
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("neither an ELF program nor a script", run.Stderr, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(_work, "out"));
        var exists = Analyze("/bin/busybox");
        Assert.Equal(125, exists.ExitCode);
        Assert.Contains("already exists", exists.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_work, "out")));
    }
}
