using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// Faults of the launcher itself, not of the workload or the user's input: whatever they are, the run
/// exits 125 with one line naming what failed (a stack trace only with SANDBOX_DEBUG=1, never the
/// runtime's abort, 134), and its audit record says `failed` with that reason.
/// </summary>
public sealed class LauncherFailureTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void A_store_file_replaced_by_a_directory_is_125_and_an_audited_failure()
    {
        Assert.Equal(0, _cli.Run("volume", "create", "data").ExitCode);
        string meta = Path.Combine(_cli.StateRoot, "volumes", "data", "meta.json");
        File.Delete(meta);
        Directory.CreateDirectory(meta); // nothing maps this: reading the volume's metadata fails with an I/O error

        var run = _cli.Run("run", "--trust", "trusted", "-v", "data:/data", "busybox", "true");
        BadInputTests.AssertOneLineError(run, $"sandbox: the launcher failed: host I/O error: Access to the path '{meta}' is denied.");
        AssertAuditedFailure(meta);

        var debug = SandboxCli.Wait(_cli.Start(["run", "--trust", "trusted", "-v", "data:/data", "busybox", "true"],
            env: new Dictionary<string, string> { ["SANDBOX_DEBUG"] = "1" }), TimeSpan.FromMinutes(1));
        Assert.Equal(125, debug.ExitCode);
        Assert.Contains("   at ", debug.Stderr, StringComparison.Ordinal); // the stack trace, on request
    }

    [Fact]
    public void A_state_root_on_a_read_only_mount_is_125_and_an_audited_failure()
    {
        string runs = Directory.CreateDirectory(Path.Combine(_cli.StateRoot, "run")).FullName;
        Tool.Run("mount", "--bind", runs, runs);
        try
        {
            Tool.Run("mount", "-o", "remount,bind,ro", runs);
            var run = _cli.Run("run", "--trust", "trusted", "busybox", "true");
            Assert.True(run.ExitCode == 125, run.ToString());
            Assert.StartsWith($"sandbox: state directory {runs}/sb-", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("cannot be created or written: Read-only file system", run.Stderr, StringComparison.Ordinal);
            Assert.Equal(2, run.Stderr.TrimEnd('\n').Split('\n').Length);
            AssertAuditedFailure("Read-only file system");
        }
        finally
        {
            Tool.Run("umount", runs);
        }
    }

    private void AssertAuditedFailure(string reason)
    {
        var ls = _cli.Run("--json", "audit", "ls");
        Assert.Equal(0, ls.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(ls.Stdout);
        JsonElement last = doc.RootElement.EnumerateArray().Last();
        Assert.Equal("failed", last.GetProperty("outcome").GetString());
        Assert.Equal(125, last.GetProperty("exitCode").GetInt32());
        Assert.Contains(reason, last.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
