using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Host bind mounts (`-v /host/path:/x`), granted by a policy for trusted containers only. Each test
/// runs the attack: writing through a read-only bind, writing host-root files through a read-write
/// one, escaping the granted tree with a symlink, asking for a microVM or as untrusted.
/// </summary>
public sealed class HostBindTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-hostbind-").FullName;
    private readonly string _policy;

    public HostBindTests()
    {
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(_dir, "granted"));
        File.WriteAllText(Path.Combine(_dir, "granted", "sample"), "host data\n");
        _policy = Path.Combine(_dir, "policy.yaml");
        File.WriteAllText(_policy, $$"""
            version: 1
            rules:
              - name: no-host-binds-for-untrusted
                effect: deny
                why: untrusted code never sees host paths
                match: {trust: untrusted, binds: any}
              - name: trusted-with-samples
                effect: allow
                why: trusted tools may read the sample tree
                match: {trust: trusted}
                decide:
                  backend: [container, microvm]
                  binds: ['{{_dir}}/granted', '{{_dir}}/granted/*']
                  allowEmulation: true
              - name: untrusted-to-container
                effect: allow
                why: test host
                match: {trust: untrusted}
                decide: {backend: container}
            """);
    }

    private string Granted => Path.Combine(_dir, "granted");

    private CliRun Run(string trust, string volume, string script, params string[] flags) =>
        _cli.Run(["run", "--policy", _policy, "--trust", trust, .. flags, "-v", volume, "busybox", "sh", "-c", script], stdin: null);

    [Fact]
    public void A_read_only_bind_shows_host_files_and_refuses_writes()
    {
        var run = Run("trusted", $"{Granted}:/samples:ro", "cat /samples/sample; echo x > /samples/sample; touch /samples/new; grep ' /samples ' /proc/mounts");
        Assert.Equal("host data\n", run.Stdout.Split('\n')[0] + "\n");
        Assert.Contains("Read-only file system", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("ro,nosuid,nodev", run.Stdout, StringComparison.Ordinal);
        Assert.Equal("host data\n", File.ReadAllText(Path.Combine(Granted, "sample")));
        Assert.False(File.Exists(Path.Combine(Granted, "new")));
    }

    [Fact]
    public void Through_a_read_write_bind_the_sandbox_is_a_stranger_to_host_files()
    {
        // The sample is host root's 0644 file: sandbox root is not host root, not even mapped to it.
        var run = Run("trusted", $"{Granted}:/samples", "stat -c %u /samples/sample; echo x >> /samples/sample; echo rc=$?; touch /samples/new; echo rc=$?");
        Assert.Contains("65534\n", run.Stdout, StringComparison.Ordinal); // unmapped owner: nobody
        Assert.Contains("Permission denied", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("host data\n", File.ReadAllText(Path.Combine(Granted, "sample")));
        Assert.False(File.Exists(Path.Combine(Granted, "new")));

        // Where the host lets anyone write, files land owned by the sandbox's unprivileged host ID, never root.
        string drop = Directory.CreateDirectory(Path.Combine(Granted, "drop")).FullName;
        File.SetUnixFileMode(drop, (UnixFileMode)0b111_111_111);
        var write = Run("trusted", $"{drop}:/drop", "echo result > /drop/out && chmod 4755 /drop/out; echo done");
        Assert.Contains("done", write.Stdout, StringComparison.Ordinal);
        string owner = Tool.Run("stat", "-c", "%u", Path.Combine(drop, "out")).Trim();
        Assert.True(long.Parse(owner, System.Globalization.CultureInfo.InvariantCulture) >= 1_000_000_000, $"owner {owner}");
    }

    [Fact]
    public void A_symlink_out_of_the_granted_tree_is_judged_by_where_it_leads()
    {
        File.CreateSymbolicLink(Path.Combine(Granted, "etc-link"), "/etc");
        var run = Run("trusted", $"{Granted}/etc-link:/x:ro", "ls /x");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("/etc", run.Stderr, StringComparison.Ordinal); // the real path, which the rule does not grant
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void Untrusted_workloads_get_no_host_paths()
    {
        var untrusted = Run("untrusted", $"{Granted}:/samples:ro", "cat /samples/sample");
        Assert.Equal(125, untrusted.ExitCode);
        Assert.Contains("no-host-binds-for-untrusted", untrusted.Stderr, StringComparison.Ordinal);

        Assert.Equal("", untrusted.Stdout);
    }

    [Fact]
    public void A_microvm_gets_no_host_paths_even_when_policy_grants_them()
    {
        using var withKernels = MicroVmHost.Cli(); // the refusal comes after the host is found able to boot the VM
        var vm = withKernels.Run(["run", "--policy", _policy, "--trust", "trusted", "--backend", "microvm", "-v", $"{Granted}:/samples:ro",
            "busybox", "cat", "/samples/sample"], stdin: null);
        Assert.Equal(125, vm.ExitCode);
        Assert.Contains("host bind mounts", vm.Stderr, StringComparison.Ordinal);
        Assert.Contains("container backend only", vm.Stderr, StringComparison.Ordinal);
        Assert.Equal("", vm.Stdout);
    }

    [Fact]
    public void A_symlink_planted_after_policy_judged_the_path_fails_the_mount_instead_of_redirecting_it()
    {
        // What the launcher mounts is the canonical path policy approved; swap a component for a link to /etc.
        string judged = Path.Combine(_dir, "swapped");
        File.CreateSymbolicLink(judged, "/etc");
        string mountPoint = Directory.CreateDirectory(Path.Combine(_dir, "mnt")).FullName;
        var e = Assert.Throws<Sandbox.Host.Interop.MountException>(() => Sandbox.Host.Mounts.HostBind.Attach(judged, mountPoint, readOnly: true));
        Assert.Contains("ELOOP", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == mountPoint);
    }

    [Fact]
    public void A_missing_host_path_is_a_clear_error()
    {
        var run = Run("trusted", $"{Granted}/missing:/x", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("no such host directory", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_audit_record_says_the_bind_is_a_host_path_not_id_mapped()
    {
        Assert.Equal(0, Run("trusted", $"{Granted}:/samples:ro", "true").ExitCode);
        string show = _cli.Run("audit", "show", _cli.Run("audit", "ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ')[0], "--json").Stdout;
        Assert.Contains("host path bind mount, not ID-mapped (nosuid,nodev,ro)", show, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
