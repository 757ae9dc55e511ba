using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Security;

/// <summary>
/// A process started by `sandbox exec` is as confined as the workload it joins: the attacks the
/// workload cannot make fail for it too, asserted by running them (container backend).
/// </summary>
[Collection(SerialTests.Name)]
public sealed class ExecConfinementTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();

    [Fact]
    public void An_exec_process_has_no_capability_no_new_privileges_seccomp_and_a_read_only_root()
    {
        Ok(_cli.Run(["run", "-d", "--name", "jail", "--trust", "trusted", "busybox", "sleep", "300"], stdin: null, TimeSpan.FromMinutes(1)));
        string status = Ok(_cli.Run("exec", "jail", "cat", "/proc/self/status")).Stdout;
        Assert.Contains("CapEff:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("CapPrm:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("CapBnd:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", status, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", status, StringComparison.Ordinal);

        // The attacks themselves: writing the root, mounting, and a syscall the profile denies.
        var write = _cli.Run("exec", "jail", "sh", "-c", "echo x > /etc/owned");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Stderr, StringComparison.Ordinal);
        var mount = _cli.Run("exec", "jail", "mount", "-t", "tmpfs", "t", "/mnt");
        Assert.Equal(1, mount.ExitCode);
        Assert.Contains("permission denied", mount.Stderr, StringComparison.Ordinal);
        var unshare = _cli.Run("exec", "jail", "unshare", "-U", "true"); // user namespaces: denied by the seccomp profile
        Assert.Equal(1, unshare.ExitCode);
        Assert.Contains("Operation not permitted", unshare.Stderr, StringComparison.Ordinal);

        // The workload's own namespaces, user mapping and cgroup: nothing of the host's.
        string same = Ok(_cli.Run("exec", "jail", "sh", "-c",
            "for f in uid_map gid_map cgroup; do cmp -s /proc/self/$f /proc/1/$f && echo same-$f; done; cat /proc/self/uid_map")).Stdout;
        Assert.Contains("same-uid_map\nsame-gid_map\nsame-cgroup\n", same, StringComparison.Ordinal);
        Assert.DoesNotContain("4294967295", same, StringComparison.Ordinal); // not the host's identity mapping
        Assert.Equal("1\n", Ok(_cli.Run("exec", "jail", "sh", "-c", "ps -o pid,comm | grep -c sleep")).Stdout); // its PID namespace: the workload is there
    }

    public void Dispose()
    {
        RemoveAll(_cli);
        _cli.Dispose();
    }
}
