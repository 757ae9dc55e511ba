using Sandbox.Images;

namespace Sandbox.Tests.Unit.Images;

public sealed class RootfsLookupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sandbox-rootfs-").FullName;

    public RootfsLookupTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "bin"));
        Directory.CreateDirectory(Path.Combine(_root, "usr", "bin"));
        File.WriteAllText(Path.Combine(_root, "bin", "tool"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(_root, "bin", "tool"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(_root, "bin", "data"), "x");
        File.CreateSymbolicLink(Path.Combine(_root, "usr", "bin", "abs"), "/bin/tool");
        File.CreateSymbolicLink(Path.Combine(_root, "usr", "bin", "rel"), "../../bin/tool");
        File.CreateSymbolicLink(Path.Combine(_root, "usr", "bin", "escape"), "../../../../../../etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_root, "usr", "bin", "loop"), "loop");
    }

    [Theory]
    [InlineData("tool", CommandStatus.Executable)]
    [InlineData("/bin/tool", CommandStatus.Executable)]
    [InlineData("abs", CommandStatus.Executable)]
    [InlineData("rel", CommandStatus.Executable)]
    [InlineData("data", CommandStatus.NotExecutable)]
    [InlineData("/bin", CommandStatus.NotExecutable)]
    [InlineData("missing", CommandStatus.NotFound)]
    [InlineData("loop", CommandStatus.NotFound)]
    [InlineData("/tmp/built-at-runtime", CommandStatus.Unknown)]
    public void Classifies_commands(string command, CommandStatus expected) =>
        Assert.Equal(expected, RootfsLookup.FindCommand(_root, command, "/usr/bin:/bin").Status);

    [Fact]
    public void Links_never_resolve_outside_the_rootfs()
    {
        // ../../.. stops at the rootfs: the host's /etc/passwd is not what this finds.
        Assert.Null(RootfsLookup.Resolve(_root, "/usr/bin/escape"));
        Assert.StartsWith(_root, RootfsLookup.Resolve(_root, "/usr/bin/abs"), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
