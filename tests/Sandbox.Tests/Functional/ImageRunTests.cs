using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>Imported images run in a real container with their own config: Cmd, Env, WorkingDir, User.</summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class ImageRunTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void An_imported_docker_archive_runs_with_its_config()
    {
        _ = RealImages.Dir;
        Ok(_cli.Run("image", "import", RealImages.DockerArchive));
        var run = _cli.Run("run", "--trust", "trusted", "app:1");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(RealImages.Greeting, run.Stdout);
    }

    [Fact]
    public void Flags_override_the_image_config_and_the_rootfs_is_read_only_with_fresh_mounts()
    {
        _ = RealImages.Dir;
        string digest = Ok(_cli.Run("image", "import", RealImages.ZstdLayout, "--name", "z:1")).Stdout.Split(' ')[1];
        var run = _cli.Run("run", "--trust", "trusted", "-u", "0", "-w", "/", digest[..19], "--",
            "sh", "-c", "id -u; pwd; echo x > /app/new 2>/dev/null || echo read-only; ls /dev | head -c 200 >/dev/null && echo dev-ok");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("0\n/\nread-only\ndev-ok\n", run.Stdout);
    }

    [Fact]
    public void A_missing_command_in_an_imported_image_exits_127()
    {
        _ = RealImages.Dir;
        Ok(_cli.Run("image", "import", RealImages.Layout, "--name", "app:2"));
        var run = _cli.Run("run", "--trust", "trusted", "app:2", "--", "no-such-tool");
        Assert.Equal(127, run.ExitCode);
        Assert.Contains("no-such-tool", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_in_use_by_a_running_sandbox_is_not_removed()
    {
        _ = RealImages.Dir;
        Ok(_cli.Run("image", "import", RealImages.Layout, "--name", "busy:1"));
        using var running = _cli.Start(["run", "--trust", "trusted", "busy:1", "--", "sh", "-c", "echo started; sleep 10; ls / >/dev/null && echo still-there"]);
        Assert.Equal("started", running.StandardOutput.ReadLine());

        var refused = _cli.Run("image", "rm", "busy:1");
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("in use by a running sandbox; nothing was removed", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("busy:1", _cli.Run("image", "ls").Stdout, StringComparison.Ordinal);

        Assert.Equal("still-there", running.StandardOutput.ReadLine());
        Assert.True(running.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, running.ExitCode);
        Ok(_cli.Run("image", "rm", "busy:1"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_cli.StateRoot, "images"), "sha256-*"));
    }

    public void Dispose() => _cli.Dispose();

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
