using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// An image's owners reach the container: its files keep their uid:gid inside the sandbox (an
/// ID-mapped bind of the shared rootfs), so permissions work as the image meant them.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class ImageOwnershipTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-owned-").FullName;

    [Fact]
    public void The_image_user_reads_its_0600_file_and_everyone_sees_the_image_owners()
    {
        Import();
        var app = Ok(_cli.Run("run", "--trust", "trusted", "-u", "1000:1000", "owned:1", "--",
            "sh", "-c", "id -u; stat -c '%u:%g %a' /home/app /home/app/secret /srv/drop /bin/busybox; cat /home/app/secret; ls /home/app"));
        Assert.Equal($"1000\n1000:1000 700\n1000:1000 600\n1000:1000 770\n0:0 755\n{OwnedImage.Secret}secret\n", app.Stdout);

        // Root inside has no capabilities (no DAC override): it sees the same owners and is refused like anyone else.
        var root = _cli.Run("run", "--trust", "trusted", "owned:1", "--",
            "sh", "-c", "stat -c '%u:%g %a' /home/app; ls -ln /etc/passwd | cut -c1-30; cat /home/app/secret");
        Assert.Equal(1, root.ExitCode);
        Assert.StartsWith("1000:1000 700\n-rw-r--r--    1 0        0", root.Stdout, StringComparison.Ordinal);
        Assert.Contains("Permission denied", root.Stderr, StringComparison.Ordinal);

        var other = _cli.Run("run", "--trust", "trusted", "-u", "1001:1001", "owned:1", "--", "cat", "/home/app/secret");
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("Permission denied", other.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_volume_the_overlay_keeps_the_image_owners()
    {
        Import();
        var run = Ok(_cli.Run("run", "--trust", "trusted", "-u", "1000:1000", "-v", $"own-{Guid.NewGuid():N}"[..16] + ":/data", "owned:1", "--",
            "sh", "-c", "stat -c '%u:%g' / /home/app/secret; cat /home/app/secret"));
        Assert.Equal($"0:0\n1000:1000\n{OwnedImage.Secret}", run.Stdout);
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private void Import() => Ok(_cli.Run("image", "import", OwnedImage.Write(_work), "--name", "owned:1"));

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
