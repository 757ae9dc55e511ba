using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// The launcher runs runc, crun, mount, unshare, mkfs.ext4 and QEMU as root. A caller whose PATH
/// starts with a directory it controls must not choose them: each planted tool here would leave a
/// mark if root ran it.
/// </summary>
public sealed class ToolPathTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _evil = Directory.CreateTempSubdirectory("sandbox-evil-path-").FullName;

    [Fact]
    public void Tools_planted_first_in_the_callers_PATH_are_never_run_as_root()
    {
        string mark = Path.Combine(_evil, "ran");
        foreach (string tool in new[] { "runc", "crun", "mount", "unshare", "mkfs.ext4", "qemu-system-x86_64" })
        {
            string path = Path.Combine(_evil, tool);
            File.WriteAllText(path, $"#!/bin/sh\necho {tool} >> '{mark}'\nexit 1\n");
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }

        var env = new Dictionary<string, string> { ["PATH"] = $"{_evil}:{Environment.GetEnvironmentVariable("PATH")}" };
        var run = SandboxCli.Wait(_cli.Start(["run", "--trust", "trusted", "-v", "sized:/data", "busybox", "sh", "-c", "echo ok > /data/f && cat /data/f"], env: env),
            TimeSpan.FromMinutes(2));
        var create = SandboxCli.Wait(_cli.Start(["volume", "create", "ext4", "--size", "16M"], env: env), TimeSpan.FromMinutes(1));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("ok\n", run.Stdout);
        Assert.True(create.ExitCode == 0, create.ToString()); // mkfs.ext4 and mount from the system directories
        Assert.False(File.Exists(mark), $"root ran planted tools: {(File.Exists(mark) ? File.ReadAllText(mark) : "")}");
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_evil, recursive: true);
    }
}
