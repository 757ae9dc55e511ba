using Sandbox.Policy;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Unit.Policy.PolicyFixtures;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>Explicit choices are checked against the deciding rule: they may tighten, never loosen.</summary>
public sealed class TighteningTests
{
    private static PolicyEvaluation Run(WorkloadFacts f, string decide = "{backend: container, limits: {memory: 256M, cpus: 1, pids: 100}}") =>
        Engine().Evaluate(AllowAll(decide), f);

    [Fact]
    public void Flags_below_the_ceilings_are_applied()
    {
        var e = Run(Facts() with { MemoryBytes = 64L << 20, Cpus = 0.5, PidsLimit = 10 });
        Assert.Equal((64L << 20, 0.5, 10L), (e.Decision!.Limits.MemoryBytes, e.Decision.Limits.Cpus, e.Decision.Limits.PidsLimit));
        Assert.Contains(e.Decision.Reasons, r => r.Contains("--memory 64M tightens the rule's ceiling 256M", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("memory", "--memory 512M exceeds the ceiling 256M set by rule 'all' (t.yaml:3)")]
    [InlineData("cpus", "--cpus 2 exceeds the ceiling 1 set by rule 'all' (t.yaml:3)")]
    [InlineData("pids", "--pids-limit 1000 exceeds the ceiling 100 set by rule 'all' (t.yaml:3)")]
    public void Flags_above_the_ceilings_are_refused_naming_the_rule(string which, string message)
    {
        var f = which switch
        {
            "memory" => Facts() with { MemoryBytes = 512L << 20 },
            "cpus" => Facts() with { Cpus = 2 },
            _ => Facts() with { PidsLimit = 1000 },
        };
        var e = Run(f);
        Assert.Null(e.Decision);
        Assert.Equal(RefusalKind.NotAllowed, e.Refusal!.Kind);
        Assert.Equal("refused: " + message, e.Refusal.Message);
    }

    [Fact]
    public void Every_rule_has_a_timeout_and_a_volume_size_and_a_flag_may_only_shorten_the_timeout()
    {
        var defaults = Run(Facts());
        Assert.Equal((TimeSpan.FromHours(1), 1L << 30), (defaults.Decision!.Limits.Timeout, defaults.Decision.Limits.VolumeBytes));

        const string Decide = "{backend: container, limits: {timeout: 30m, volumeSize: 2G}}";
        var set = Run(Facts() with { Timeout = TimeSpan.FromMinutes(5) }, Decide);
        Assert.Equal((TimeSpan.FromMinutes(5), 2L << 30), (set.Decision!.Limits.Timeout, set.Decision.Limits.VolumeBytes));
        Assert.Contains(set.Decision.Reasons, r => r.Contains("--timeout 5m tightens the rule's ceiling 30m", StringComparison.Ordinal));

        var longer = Run(Facts() with { Timeout = TimeSpan.FromHours(2) }, Decide);
        Assert.Equal("refused: --timeout 2h exceeds the ceiling 30m set by rule 'all' (t.yaml:3)", longer.Refusal!.Message);
    }

    [Fact]
    public void A_stricter_seccomp_profile_is_accepted()
    {
        string strict = WriteProfile("""
            name: strict
            description: Only read and write.
            defaultAction: kill-process
            architectures: [x86_64]
            groups:
              - name: io
                why: the workload only copies data
                action: allow
                syscalls: [read, write, exit_group]
            """);
        var e = Run(Facts() with { SeccompProfile = strict });
        Assert.True(e.Allowed, e.Refusal?.Message);
        Assert.Equal(strict, e.Decision!.SeccompProfile);
    }

    [Fact]
    public void A_looser_seccomp_profile_is_refused_naming_the_syscall_and_rule()
    {
        string loose = WriteProfile("""
            name: loose
            description: Allows mount.
            defaultAction: errno
            defaultErrno: EPERM
            architectures: [x86_64]
            groups:
              - name: mounts
                why: test
                action: allow
                syscalls: [read, mount]
            """);
        var e = Run(Facts() with { SeccompProfile = loose });
        Assert.Equal(RefusalKind.NotAllowed, e.Refusal!.Kind);
        Assert.Contains("it allows mount (group 'mounts'), which profile 'default' does not", e.Refusal.Message, StringComparison.Ordinal);
        Assert.Contains("rule 'all' (t.yaml:3)", e.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Capabilities_beyond_the_rule_are_refused_and_none_are_granted_by_default()
    {
        var e = Run(Facts() with { Capabilities = ["CAP_SYS_ADMIN"] });
        Assert.Equal(RefusalKind.NotAllowed, e.Refusal!.Kind);
        Assert.Contains("capabilities [CAP_SYS_ADMIN]", e.Refusal.Message, StringComparison.Ordinal);

        var granted = Run(Facts() with { Capabilities = ["CAP_NET_BIND_SERVICE"] }, "{backend: container, capabilities: [CAP_NET_BIND_SERVICE, CAP_CHOWN]}");
        Assert.Equal(["CAP_NET_BIND_SERVICE"], granted.Decision!.Capabilities); // only what was asked for
        Assert.Empty(Run(Facts()).Decision!.Capabilities);
    }

    [Fact]
    public void A_kernel_outside_the_rules_list_is_refused()
    {
        var e = Run(Facts() with { Kernel = "linux-2.6" }, "{backend: microvm, kernels: ['debian-*']}");
        Assert.Contains("kernel linux-2.6 is not allowed by rule 'all'", e.Refusal!.Message, StringComparison.Ordinal);
        Assert.Equal("debian-5.10", Run(Facts() with { Kernel = "debian-5.10" }, "{backend: microvm, kernels: ['debian-*']}").Decision!.Kernel);
    }

    [Fact]
    public void A_container_cannot_honour_a_kernel_the_host_lacks()
    {
        var e = Run(Facts() with { Kernel = "debian-4.19" });
        Assert.Equal(RefusalKind.NotAllowed, e.Refusal!.Kind);
        Assert.Contains("shares the host kernel", e.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Emulation_is_used_only_where_the_rule_allows_it()
    {
        var host = new FakeHost(Best: Accelerator.Emulation);
        var allowed = Engine(host).Evaluate(AllowAll("{backend: microvm, allowEmulation: true}"), Facts());
        Assert.Equal(Accelerator.Emulation, allowed.Decision!.Accelerator);
        Assert.True(allowed.Allowed);
        var refused = Engine(host).Evaluate(AllowAll("{backend: microvm}"), Facts());
        Assert.Equal(RefusalKind.Unavailable, refused.Refusal!.Kind);
    }

    [Fact]
    public void Vm_templates_are_on_unless_the_rule_says_templates_false_and_never_for_containers()
    {
        var host = new FakeHost(Best: Accelerator.Emulation);
        Assert.True(Engine(host).Evaluate(AllowAll("{backend: microvm, allowEmulation: true}"), Facts()).Decision!.Templates);
        Assert.False(Engine(host).Evaluate(AllowAll("{backend: microvm, allowEmulation: true, templates: false}"), Facts()).Decision!.Templates);
        Assert.False(Run(Facts(), "{backend: container}").Decision!.Templates);
    }

    private static string WriteProfile(string yaml)
    {
        string path = Path.Combine(TestTemp.Directory("sandbox-profile-"), "p.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
