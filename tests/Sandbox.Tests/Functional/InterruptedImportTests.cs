using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>kill -9 of the CLI in the middle of a layer leaves nothing registered and nothing in the way of a rerun.</summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class InterruptedImportTests : IDisposable
{
    private readonly SandboxCli _cli = new();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-interrupt-").FullName;

    [Fact]
    public void An_import_killed_mid_layer_registers_nothing_and_a_rerun_succeeds()
    {
        string layout = BigLayout();
        string images = Path.Combine(_cli.StateRoot, "images");

        using (var process = _cli.Start(["image", "import", layout, "--name", "big:1"]))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!MidLayer(images) && !process.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(2);
            }

            Assert.False(process.HasExited, "the import finished before it could be interrupted");
            process.Kill(); // SIGKILL: no clean-up code runs
            process.WaitForExit();
        }

        var ls = _cli.Run("image", "ls");
        Assert.Equal(0, ls.ExitCode);
        Assert.DoesNotContain("big", ls.Stdout, StringComparison.Ordinal);
        Assert.Equal(125, _cli.Run("image", "inspect", "big:1").ExitCode);

        var rerun = _cli.Run("image", "import", layout, "--name", "big:1");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(images, "store", "tmp")));
        Assert.Empty(Directory.EnumerateDirectories(images, ".tmp-image-*"));
        Assert.Equal(0, _cli.Run("image", "inspect", "big:1").ExitCode);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void An_import_interrupted_by_a_signal_removes_its_temporary_files_before_it_exits(string signal, int exitCode)
    {
        string layout = BigLayout();
        string images = Path.Combine(_cli.StateRoot, "images");

        using var process = _cli.Start(["image", "import", layout, "--name", "big:1"]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!MidLayer(images) && !process.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(2);
        }

        Assert.False(process.HasExited, "the import finished before it could be interrupted");
        Tool.Run("kill", $"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var run = SandboxCli.Wait(process, TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains("interrupted", run.Stderr, StringComparison.Ordinal);
        // Checked before any other command runs: the interrupted import cleaned up after itself.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(images, "store", "tmp")));
        Assert.Empty(Directory.EnumerateDirectories(images, ".tmp-image-*"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(images, "store", "blobs", "sha256")));
        Assert.Empty(Directory.EnumerateDirectories(images, "sha256-*"));
        Assert.Equal(125, _cli.Run("image", "inspect", "big:1").ExitCode);
    }

    // One 384 MiB layer: long enough to interrupt mid-layer.
    private string BigLayout()
    {
        string layout = Path.Combine(_work, "layout");
        var layer = new TarBuilder();
        for (int i = 0; i < 12; i++)
        {
            layer.ZeroFile($"big/part{i:00}", 32L << 20);
        }

        OciLayoutWriter.Write(layout, [layer.Build()]);
        return layout;
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>True once extraction has started writing the layer into a temporary rootfs.</summary>
    private static bool MidLayer(string images) =>
        Directory.Exists(images) && Directory.EnumerateDirectories(images, ".tmp-image-*")
            .Any(d => Directory.Exists(Path.Combine(d, "rootfs", "big")));
}
