using System.Text;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Functional;

/// <summary>`sandbox exec` in detached containers: output, exit codes, -e/-w/-u/-i, audit, and the verb's own errors.</summary>
[Collection(SerialTests.Name)]
public sealed class ExecTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void Exec_runs_a_command_in_the_running_sandbox_with_its_streams_and_exit_code()
    {
        string id = _cli.Detach("--name", "ex", "busybox", "sleep", "300");
        var run = _cli.Run("exec", "ex", "sh", "-c", "echo out-line; echo err-line >&2; exit 3");
        Assert.Equal((3, "out-line\n", "err-line\n"), (run.ExitCode, run.Stdout, run.Stderr));
        Assert.Equal("sandbox\n", Ok(_cli.Run("exec", id, "hostname")).Stdout); // the sandbox's UTS namespace, by ID too

        var missing = _cli.Run("exec", "ex", "no-such-command");
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("no-such-command", missing.Stderr, StringComparison.Ordinal);
        var notExecutable = _cli.Run("exec", "ex", "/etc/passwd");
        Assert.Equal(126, notExecutable.ExitCode);

        var records = AuditOf(_cli, id).Where(r => r.GetProperty("outcome").GetString() == "exec").ToList();
        Assert.Equal(4, records.Count);
        Assert.Equal(["sh", "-c", "echo out-line; echo err-line >&2; exit 3"], records[0].GetProperty("command").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(3, records[0].GetProperty("exitCode").GetInt32());
        Assert.Equal(0u, records[0].GetProperty("uid").GetUInt32());
        Assert.Equal(127, records[2].GetProperty("exitCode").GetInt32());
        Ok(_cli.Run("audit", "verify"));
    }

    [Fact]
    public void Exec_applies_env_workdir_user_and_stdin_over_the_workloads_own()
    {
        _cli.Detach("--name", "ex", "-e", "KEEP=workload", "-e", "OVER=workload", "busybox", "sleep", "300");
        var run = Ok(_cli.Run(["exec", "-i", "-e", "OVER=exec", "-e", "NEW=1", "-w", "/tmp", "-u", "1000:1001", "ex",
            "sh", "-c", "echo $KEEP $OVER $NEW; pwd; id -u; id -g; cat"], stdin: "piped-in\n"));
        Assert.Equal("workload exec 1\n/tmp\n1000\n1001\npiped-in\n", run.Stdout);

        // Without -i the command reads EOF, as docker exec's does.
        Assert.Equal("", Ok(_cli.Run(["exec", "ex", "cat"], stdin: "not-for-it\n")).Stdout);
        Assert.Equal("0\n", Ok(_cli.Run("exec", "ex", "id", "-u")).Stdout); // the workload's user by default
    }

    [Fact]
    public void Exec_and_cp_on_a_missing_or_exited_sandbox_exit_125_naming_it()
    {
        foreach (string[] verb in new[] { new[] { "exec", "ghost", "true" }, ["cp", "ghost:/tmp/x", "/tmp"] })
        {
            var missing = _cli.Run(verb);
            Assert.Equal(125, missing.ExitCode);
            Assert.Contains("no such sandbox: ghost", missing.Stderr, StringComparison.Ordinal);
            Assert.Contains("sandbox ps -a", missing.Stderr, StringComparison.Ordinal);
        }

        string id = _cli.Detach("--name", "done", "busybox", "true");
        Assert.Equal("0\n", Ok(_cli.Run("wait", id)).Stdout);
        foreach (string[] verb in new[] { new[] { "exec", "done", "true" }, ["cp", "done:/tmp/x", Path.GetTempPath()] })
        {
            var exited = _cli.Run(verb);
            Assert.Equal(125, exited.ExitCode);
            Assert.Contains("sandbox done is not running", exited.Stderr, StringComparison.Ordinal);
            Assert.Contains("hint:", exited.Stderr, StringComparison.Ordinal);
        }

        var bad = _cli.Run("exec", "-w", "relative", "done", "true");
        Assert.Equal(125, bad.ExitCode);
        Assert.Contains("-w: 'relative' is not an absolute path", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Exec_is_checked_by_the_sandboxs_policy_like_a_run_and_a_refusal_is_audited()
    {
        string dir = Directory.CreateTempSubdirectory("sandbox-exec-policy-").FullName;
        try
        {
            string policy = Path.Combine(dir, "policy.yaml");
            File.WriteAllText(policy, """
                version: 1
                rules:
                  - name: no-forbidden-commands
                    effect: deny
                    why: the forbidden tool is retired
                    match:
                      command: '*forbidden*'
                  - name: trusted-to-container
                    effect: allow
                    why: trusted code runs in the hardened container
                    match:
                      trust: trusted
                    decide:
                      backend: container
                      seccompProfile: default
                      network: none
                      limits: {memory: 512M, cpus: 1, pids: 256, tmpfs: 64M, openFiles: 1024}
                """);
            string id = _cli.Detach("--name", "ruled", "--policy", policy, "busybox", "sleep", "300");
            Assert.Equal("allowed\n", Ok(_cli.Run("exec", "ruled", "echo", "allowed")).Stdout);
            var refused = _cli.Run("exec", "ruled", "echo", "forbidden");
            Assert.Equal(125, refused.ExitCode);
            Assert.Contains("the forbidden tool is retired", refused.Stderr, StringComparison.Ordinal);
            Assert.Equal("", refused.Stdout); // it never ran
            var records = AuditOf(_cli, id).Where(r => r.GetProperty("outcome").GetString() == "exec").ToList();
            Assert.Equal(2, records.Count);
            Assert.Equal(125, records[1].GetProperty("exitCode").GetInt32());
            Assert.Contains("the forbidden tool is retired", records[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            RemoveAll(_cli);
            Directory.Delete(dir, recursive: true);
        }
    }

    public void Dispose()
    {
        RemoveAll(_cli);
        _cli.Dispose();
    }
}
