using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>An imported image boots in the microVM backend too, with its config (Cmd, Env, WorkingDir, User).</summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class ImageMicroVmTests : IDisposable
{
    private readonly SandboxCli _cli = MicroVmHost.Cli();
    private readonly string _name = $"vm-image-{Guid.NewGuid():N}"[..20] + ":1";

    [Fact]
    public void An_imported_image_runs_untrusted_in_a_microvm_with_its_config()
    {
        _ = RealImages.Dir;
        var imported = _cli.Run("image", "import", RealImages.DockerArchive, "--name", _name);
        Assert.True(imported.ExitCode == 0, imported.ToString());
        var run = _cli.Run(["run", "--trust", "untrusted", _name], stdin: string.Empty, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(RealImages.Greeting, run.Stdout);
    }

    [Fact]
    public void The_guest_sees_the_image_owners_and_the_image_user_reads_and_writes_where_it_may()
    {
        string work = Directory.CreateTempSubdirectory("sandbox-owned-vm-").FullName;
        try
        {
            var imported = _cli.Run("image", "import", OwnedImage.Write(work), "--name", _name);
            Assert.True(imported.ExitCode == 0, imported.ToString());
            var run = _cli.Run(["run", "--trust", "untrusted", "-u", "1000:1000", _name, "--", "sh", "-c",
                "id -u; stat -c '%u:%g %a' /home/app/secret /srv/drop /bin/busybox; cat /home/app/secret; echo x > /tmp/new && stat -c '%u:%g' /tmp/new; echo x > /srv/drop/new || echo read-only; echo x > /etc/new || echo denied"],
                stdin: string.Empty, TimeSpan.FromMinutes(3));
            Assert.True(run.ExitCode == 0, run.ToString());
            // The root is read-only, as in a container: the image user writes only to /tmp and volumes.
            Assert.Equal($"1000\n1000:1000 600\n1000:1000 770\n0:0 755\n{OwnedImage.Secret}1000:1000\nread-only\ndenied\n", run.Stdout);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    public void Dispose()
    {
        _cli.Run("image", "rm", _name); // the state root is the shared microVM cache: leave it as found
    }
}
