using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// The state root holds what root trusts (images, volumes, run directories). A directory in it
/// that another user owns, can write, or has replaced with a symlink must be refused, not used.
/// </summary>
public sealed class StateRootTrustTests : IDisposable
{
    private readonly SandboxCli _cli;
    private readonly string _elsewhere = Directory.CreateTempSubdirectory("sandbox-elsewhere-").FullName;

    public StateRootTrustTests()
    {
        Require.Root();
        _cli = new SandboxCli();
    }

    private string Dir(string name) => Path.Combine(_cli.StateRoot, name);

    [Fact]
    public void A_directory_owned_by_another_user_is_refused()
    {
        SandboxCli.ForContainers().Dispose(); // runc and busybox for the run below
        Directory.CreateDirectory(Dir("images"));
        Tool.Run("chown", "65534:65534", Dir("images"));
        var ls = _cli.Run("run", "--trust", "trusted", "busybox", "true");
        Assert.True(ls.ExitCode == 125, ls.ToString());
        Assert.Contains($"state directory {Dir("images")} is owned by uid 65534, not 0", ls.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_others_can_write_is_refused()
    {
        Directory.CreateDirectory(Dir("volumes"));
        File.SetUnixFileMode(Dir("volumes"), (UnixFileMode)0b111_111_111);
        var create = _cli.Run("volume", "create", "v");
        Assert.True(create.ExitCode == 125, create.ToString());
        Assert.Contains($"state directory {Dir("volumes")} is writable by other users (mode 777)", create.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir("volumes")));
    }

    [Fact]
    public void A_directory_replaced_by_a_symlink_is_refused()
    {
        SandboxCli.ForContainers().Dispose(); // runc and busybox for the run below
        Directory.CreateSymbolicLink(Dir("run"), _elsewhere);
        var run = _cli.Run("run", "--trust", "trusted", "busybox", "true");
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Contains($"state directory {Dir("run")} is a symbolic link (to {_elsewhere})", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_elsewhere));
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_elsewhere, recursive: true);
    }
}
