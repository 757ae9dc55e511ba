using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// While a sandbox runs, its image and volumes are bound under its run directory, whose ID any
/// user sees in `ps`. Another host user (nobody, via setpriv) tries to read them through it and must
/// get EACCES, in both backends; the sandbox itself (mapped root, or the jailed VMM) still reaches them.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class RunDirectoryPrivacyTests
{
    private const string Ready = "sandbox-ready";

    [Fact]
    public async Task Nobody_cannot_read_a_running_containers_image_or_volume_through_its_run_directory()
    {
        using var cli = SandboxCli.ForContainers();
        await AssertPrivateWhileRunningAsync(cli, ["run", "--trust", "trusted", "-v", "private:/data", "busybox", "sh", "-c",
            $"echo secret > /data/file && echo {Ready} && read line && echo $line"],
            id => [Path.Combine("image", "bin", "busybox"), Path.Combine("volumes", "0", "file")]);
    }

    [Fact]
    public async Task Nobody_cannot_read_a_running_microvms_disk_or_volume_through_its_bundle()
    {
        using var cli = MicroVmHost.Cli();
        string volume = $"private-{Guid.NewGuid():N}"[..20];
        try
        {
            await AssertPrivateWhileRunningAsync(cli, ["run", "--backend", "microvm", "-v", $"{volume}:/data", "busybox", "sh", "-c",
                $"echo secret > /data/file && echo {Ready} && read line && echo $line"],
                id => [Path.Combine("volumes", "0", "file"), Path.Combine("jail", "vm", "rootfs.ext4")]);
        }
        finally
        {
            cli.Run("volume", "rm", volume);
        }
    }

    private static async Task AssertPrivateWhileRunningAsync(SandboxCli cli, string[] args, Func<string, string[]> inRunDir)
    {
        string setpriv = Require.Tool("setpriv");
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var launcher = cli.Start(args, redirectStdin: true);
        try
        {
            await RunningSandbox.WaitForLineAsync(launcher, Ready, TimeSpan.FromMinutes(3), ct);
            string runDir = Path.Combine(cli.StateRoot, "run", RunningSandbox.Id(launcher.Id));
            foreach (string relative in inRunDir(runDir))
            {
                string path = Path.Combine(runDir, relative);
                Assert.True(File.Exists(path), $"{path} is not there for root: the attack would prove nothing");
                // sh, not setpriv, opens: setpriv keeps root's capabilities until its own exec.
                var tool = Tool.Capture(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c",
                    $"head -c 1 '{path}' >/dev/null; echo read=$?; ls '{runDir}' >/dev/null; echo list=$?");
                Assert.True(tool.Stdout == "read=1\nlist=2\n", $"{relative}: {tool.Stdout}{tool.Stderr}");
                Assert.Equal(2, tool.Stderr.Split("Permission denied").Length - 1);
            }
        }
        finally
        {
            await launcher.StandardInput.WriteLineAsync("done");
            launcher.StandardInput.Close();
        }

        Assert.Equal("done", await launcher.StandardOutput.ReadLineAsync(ct));
        await launcher.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
        Assert.True(launcher.ExitCode == 0, await launcher.StandardError.ReadToEndAsync(ct)); // the sandbox itself still reached everything
    }
}
