using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// An environment variable must never loosen a policy decision. SANDBOX_ACCELERATOR=tcg on a host
/// whose probe found hardware virtualization would run a workload under emulation that its rule
/// refused (allowEmulation: false): the launcher must re-check the decision after the override.
/// </summary>
public sealed class EnvironmentOverrideTests : IDisposable
{
    private readonly SandboxCli _shared = MicroVmHost.Cli(); // the fetched kernels, copied into a private root below
    private readonly SandboxCli _cli = new();

    [Fact]
    public void Forcing_tcg_does_not_override_a_policy_that_refuses_emulation()
    {
        Tool.Run("cp", "-a", Path.Combine(_shared.StateRoot, "kernels"), Path.Combine(_cli.StateRoot, "kernels"));
        // This private root's probe verdict says the host has hardware KVM, so the policy allows the microVM.
        Directory.CreateDirectory(Path.Combine(_cli.StateRoot, "host"));
        var kvm = new FileInfo("/dev/kvm");
        string key = File.ReadAllText("/proc/sys/kernel/osrelease").Trim() + ":" + (kvm.Exists ? kvm.LastWriteTimeUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "absent");
        File.WriteAllText(Path.Combine(_cli.StateRoot, "host", "kvm-verdict"), $"{key}\nKvm\nplanted by the test\n");
        string policy = Path.Combine(_cli.StateRoot, "no-emulation.yaml");
        File.WriteAllText(policy, File.ReadAllText(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml"))
            .Replace("allowEmulation: true", "allowEmulation: false", StringComparison.Ordinal));

        var explain = _cli.Run("policy", "explain", "--policy", policy, "busybox", "true");
        Assert.True(explain.ExitCode == 0, explain.ToString()); // without the variable, the policy allows it (under KVM)

        using var launcher = _cli.Start(["run", "--policy", policy, "busybox", "sh", "-c", "echo ran"], redirectStdin: true,
            env: new Dictionary<string, string> { ["SANDBOX_ACCELERATOR"] = "tcg" });
        launcher.StandardInput.Close();
        var run = SandboxCli.Wait(launcher, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 125, run.ToString());
        Assert.Equal("", run.Stdout);
        Assert.Contains("refused: SANDBOX_ACCELERATOR=tcg forces emulation, which rule 'untrusted-to-vm'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("unset SANDBOX_ACCELERATOR", run.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _cli.Dispose();
        _shared.Dispose();
    }
}
