using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// A real Debian userland, not a busybox tree: a debootstrapped bookworm imported as a rootfs tar
/// runs its own dpkg and apt, and its files keep their Debian owners (/etc/shadow is root:shadow).
/// </summary>
[Collection(SerialTests.Name)]
public sealed class DebianUserlandTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void A_debootstrapped_bookworm_runs_dpkg_and_apt_with_its_owners_mapped()
    {
        string tar = DebianRootfs.Tar;
        var imported = _cli.Run(["image", "import", tar, "--name", "debian:bookworm"], stdin: null, TimeSpan.FromMinutes(3));
        Assert.True(imported.ExitCode == 0, imported.ToString());

        var run = _cli.Run("run", "--trust", "trusted", "debian:bookworm", "--",
            "sh", "-c", "dpkg -l | grep -c '^ii'; apt-get --version | head -1; ls -l /etc/shadow; stat -c '%u:%g %a' /etc/shadow");
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Stdout.Split('\n');
        Assert.True(int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture) > 50, run.ToString()); // minbase installs ~90 packages
        Assert.StartsWith("apt 2.", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("-rw-r----- 1 root shadow ", lines[2], StringComparison.Ordinal); // names from the image's own passwd/group
        Assert.Equal("0:42 640", lines[3]);
    }

    public void Dispose() => _cli.Dispose();
}
