using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Stored rootfs files carry their image owners as host IDs, setuid root included for a trusted
/// image, so the store must be out of every other host user's reach: proven by trying, as nobody.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class ImageStorePrivacyTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-private-").FullName;

    [Fact]
    public void Nobody_on_the_host_can_open_or_execute_a_setuid_root_file_of_a_trusted_image()
    {
        string setpriv = Require.Tool("setpriv");
        var imported = _cli.Run("image", "import", OwnedImage.Write(_work), "--name", "owned:1", "--trust", "trusted");
        Assert.True(imported.ExitCode == 0, imported.ToString());
        Assert.Contains("kept setuid/setgid on 1 file(s)", imported.Stdout, StringComparison.Ordinal);
        string images = Path.Combine(_cli.StateRoot, "images");
        string suid = Directory.EnumerateFiles(images, "busybox-suid", SearchOption.AllDirectories).Single();
        Assert.Equal((0u, 0u), Sandbox.Host.Files.FileOwner.Get(suid));
        Assert.Equal((UnixFileMode)0b100_111_101_101, File.GetUnixFileMode(suid)); // the dangerous file really is there
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(images));

        // sh, not setpriv itself, opens and executes: setpriv keeps root's capabilities until its own exec.
        string script = $"cat '{suid}' >/dev/null; echo open=$?; '{suid}' id -u; echo exec=$?; ls '{images}' >/dev/null; echo list=$?";
        var tool = Tool.Capture(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", script);
        Assert.Equal("open=1\nexec=126\nlist=2\n", tool.Stdout);
        Assert.Equal(3, tool.Stderr.Split("Permission denied").Length - 1);
    }

    [Fact]
    public void A_store_left_traversable_by_an_older_version_is_tightened_when_opened()
    {
        Assert.Equal(0, _cli.Run("image", "import", OwnedImage.Write(_work), "--name", "owned:1").ExitCode);
        string images = Path.Combine(_cli.StateRoot, "images");
        File.SetUnixFileMode(images, (UnixFileMode)0b111_001_001);
        Assert.Equal(0, _cli.Run("image", "ls").ExitCode);
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(images));
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
