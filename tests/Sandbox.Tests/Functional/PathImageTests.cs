using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// A host directory as the image (`run DIR`) needs a policy grant (the pathImage condition): the
/// built-in policy refuses it for untrusted workloads before anything reads the directory. A granted
/// one runs from a sanitised store copy, so the host directory is never written (not even mount points).
/// </summary>
public sealed class PathImageTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-path-image-").FullName;

    [Theory]
    [InlineData("/", new[] { "--trust", "untrusted" })]
    [InlineData("/tmp/../etc", new[] { "--trust", "untrusted" })]
    [InlineData("/", new string[0])] // untrusted is the default
    public void An_untrusted_host_directory_image_is_refused_naming_the_rule(string image, string[] trust)
    {
        string before = StateSnapshot.Of(_cli.StateRoot, "audit");
        var run = _cli.Run(["run", .. trust, image, "--", "true"]);
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains("no-path-images-for-untrusted", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("mkdir", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, StateSnapshot.Of(_cli.StateRoot, "audit")); // nothing was copied into the store
    }

    [Theory]
    [InlineData("/", "contains the state root")]
    [InlineData("{root}/images", "is inside the state root")]
    public void A_granted_directory_that_overlaps_the_state_root_is_refused(string image, string expected)
    {
        _cli.Run("run", "--trust", "trusted", "busybox", "--", "true"); // the store exists: copying it into itself is the danger
        image = image.Replace("{root}", _cli.StateRoot, StringComparison.Ordinal);
        string before = StateSnapshot.Of(_cli.StateRoot, "audit");
        var run = _cli.Run("run", "--trust", "trusted", image, "--", "true");
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, StateSnapshot.Of(_cli.StateRoot, "audit"));
    }

    [Fact]
    public void Policy_explain_shows_the_path_image_condition()
    {
        var explain = _cli.Run("policy", "explain", "--trust", "untrusted", "/");
        Assert.Contains("no-path-images-for-untrusted", explain.Stdout + explain.Stderr, StringComparison.Ordinal);
        Assert.Contains("pathImage requested [/]", explain.Stdout + explain.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_granted_directory_without_mount_points_runs_and_the_host_directory_is_not_written()
    {
        string rootfs = Path.Combine(_work, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "sh"), "busybox");
        File.SetUnixFileMode(rootfs, (UnixFileMode)0b111_101_101);
        string before = StateSnapshot.Of(rootfs);

        var run = _cli.Run("run", "--trust", "trusted", rootfs, "--", "/bin/sh", "-c", "/bin/busybox ls -d /proc/1 /dev/null /tmp");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("/dev/null\n/proc/1\n/tmp\n", run.Stdout); // busybox ls sorts its arguments
        Assert.DoesNotContain("mkdir", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, StateSnapshot.Of(rootfs)); // no /proc, /dev, /sys or /tmp made in the host directory

        // The copy is content-addressed: the unchanged directory runs from the same stored image.
        Assert.Equal(0, _cli.Run("run", "--trust", "trusted", rootfs, "--", "/bin/sh", "-c", "true").ExitCode);
        var images = _cli.Run("image", "ls").Stdout.Split('\n').Where(l => l.StartsWith("<none>", StringComparison.Ordinal)).ToList();
        Assert.Single(images);
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
