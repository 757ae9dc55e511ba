using System.Collections.Immutable;
using Sandbox.Policy;
using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Unit.Policy.PolicyFixtures;

namespace Sandbox.Tests.Unit.Policy;

/// <summary>Every default decision of the built-in profiles/policy.yaml.</summary>
public sealed class DefaultPolicyTests
{
    [Fact]
    public void Untrusted_is_the_default_trust_and_goes_to_a_microvm()
    {
        var e = Builtin(new WorkloadFacts { ImageReference = "busybox" });
        Assert.True(e.Allowed, e.Refusal?.Message);
        Assert.Equal(BackendKind.MicroVm, e.Decision!.Backend);
        Assert.Equal("untrusted-to-vm", e.Decision.Rule!.Name);
        Assert.Equal("default", e.Decision.Kernel);
        Assert.Equal(Accelerator.Kvm, e.Decision.Accelerator);
        Assert.Empty(e.Decision.Capabilities);
        Assert.Equal("none", e.Decision.Network);
        Assert.True(e.Decision.AllowEmulation); // TCG is slower, not weaker: the guest still has its own kernel
    }

    [Fact]
    public void Trusted_goes_to_the_hardened_container_with_the_default_profile_and_ceilings()
    {
        var e = Builtin(Facts(TrustLevel.Trusted));
        Assert.True(e.Allowed, e.Refusal?.Message);
        Assert.Equal(BackendKind.Container, e.Decision!.Backend);
        Assert.Equal("trusted-to-container", e.Decision.Rule!.Name);
        Assert.Equal(PolicyLoader.BuiltinSource, e.Decision.Rule.File);
        Assert.Equal("default", e.Decision.SeccompProfile);
        Assert.Equal(ResourceLimits.Default, e.Decision.Limits);
        Assert.Null(e.Decision.Kernel);
        Assert.Empty(e.Decision.Capabilities);
    }

    [Theory]
    [InlineData(TrustLevel.Trusted)]
    [InlineData(TrustLevel.Untrusted)]
    public void A_kernel_the_host_cannot_give_means_a_microvm_with_that_kernel(TrustLevel trust)
    {
        var e = Builtin(Facts(trust) with { Kernel = "debian-4.19" });
        Assert.True(e.Allowed, e.Refusal?.Message);
        Assert.Equal(BackendKind.MicroVm, e.Decision!.Backend);
        Assert.Equal("kernel-the-host-cannot-give", e.Decision.Rule!.Name);
        Assert.Equal("debian-4.19", e.Decision.Kernel);
    }

    [Fact]
    public void A_kernel_label_on_the_image_counts_as_a_request()
    {
        var labels = ImmutableSortedDictionary<string, string>.Empty.Add(WorkloadFacts.KernelLabel, "linux-3.10");
        var e = Builtin(Facts(TrustLevel.Trusted) with { Labels = labels });
        Assert.Equal(("kernel-the-host-cannot-give", "linux-3.10"), (e.Decision!.Rule!.Name, e.Decision.Kernel));
    }

    [Fact]
    public void A_kernel_the_host_provides_keeps_trusted_in_the_container()
    {
        var e = Builtin(Facts(TrustLevel.Trusted) with { Kernel = "debian-6.1" });
        Assert.Equal(BackendKind.Container, e.Decision!.Backend);
    }

    [Fact]
    public void Host_bind_mounts_are_denied_for_untrusted()
    {
        var e = Builtin(Facts() with { Binds = ["/etc"] });
        Assert.False(e.Allowed);
        Assert.Equal(RefusalKind.Denied, e.Refusal!.Kind);
        Assert.Equal("no-host-binds-for-untrusted", e.Refusal.Rule!.Name);
        Assert.Contains("builtin:profiles/policy.yaml:14", e.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Path_images_are_denied_for_untrusted_and_run_trusted()
    {
        var e = Builtin(Facts() with { PathImage = "/" });
        Assert.Equal(RefusalKind.Denied, e.Refusal!.Kind);
        Assert.Equal("no-path-images-for-untrusted", e.Refusal.Rule!.Name);
        Assert.True(Builtin(Facts(TrustLevel.Trusted) with { PathImage = "/srv/rootfs" }).Allowed);
    }

    [Fact]
    public void Trusted_bind_mounts_are_not_granted_by_default()
    {
        var e = Builtin(Facts(TrustLevel.Trusted) with { Binds = ["/srv"] });
        Assert.Equal(RefusalKind.NotAllowed, e.Refusal!.Kind);
        Assert.Contains("bind mounts [/srv]", e.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_a_container_does_not_loosen_untrusted()
    {
        var e = Builtin(Facts() with { RequestedBackend = BackendKind.Container });
        Assert.Equal(RefusalKind.NotAllowed, e.Refusal!.Kind);
        Assert.Contains("--backend container was requested, but rule 'untrusted-to-vm'", e.Refusal.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.Refusal.ToException().ExitCode);
    }

    [Fact]
    public void Trusted_may_ask_for_the_stronger_microvm()
    {
        var e = Builtin(Facts(TrustLevel.Trusted) with { RequestedBackend = BackendKind.MicroVm });
        Assert.Equal(BackendKind.MicroVm, e.Decision!.Backend);
        Assert.True(e.Allowed);
    }

    [Fact]
    public void Without_the_microvm_backend_untrusted_is_refused_fail_closed()
    {
        var e = Builtin(Facts(), FakeHost.WithoutMicroVm);
        Assert.Equal(RefusalKind.Unavailable, e.Refusal!.Kind);
        Assert.Equal(BackendKind.MicroVm, e.Decision!.Backend); // decided, but not carried out, and not weakened
        Assert.Contains("microVM backend not available on this build", e.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Emulation_only_hosts_run_untrusted_microvms_under_emulation()
    {
        var e = Builtin(Facts(), new FakeHost(Best: Accelerator.Emulation));
        Assert.True(e.Allowed, e.Refusal?.Message);
        Assert.Equal(Accelerator.Emulation, e.Decision!.Accelerator);
    }

    [Fact]
    public void A_policy_that_does_not_allow_emulation_refuses_on_emulation_only_hosts()
    {
        string yaml = PolicyLoader.BuiltinText().Replace("allowEmulation: true", "allowEmulation: false", StringComparison.Ordinal);
        var e = new PolicyEngine(new FakeHost(Best: Accelerator.Emulation), ProfileCatalog.Resolve)
            .Evaluate(PolicyLoader.Parse(yaml, "strict.yaml"), Facts());
        Assert.Equal(RefusalKind.Unavailable, e.Refusal!.Kind);
        Assert.Contains("does not allow emulation", e.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_guest_kernel_is_refused()
    {
        var e = Builtin(Facts() with { Kernel = "debian-4.19" }, new FakeHost(GuestKernels: false));
        Assert.Equal(RefusalKind.Unavailable, e.Refusal!.Kind);
        Assert.Contains("guest kernel debian-4.19", e.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_real_host_refuses_a_microvm_whose_guest_kernel_is_not_fetched()
    {
        Require.Tool("qemu-system-x86_64");
        string empty = Directory.CreateTempSubdirectory("sandbox-no-kernels-").FullName;
        try
        {
            var host = new HostBackendAvailability(new StateRoot(empty), new Sandbox.Backends.MicroVm.Qemu.TcgOnlyProbe());
            var e = Builtin(Facts(), host);
            Assert.Equal(RefusalKind.Unavailable, e.Refusal!.Kind);
            Assert.Contains("is not fetched yet", e.Refusal.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void The_builtin_policy_is_the_shipped_file()
    {
        string file = File.ReadAllText(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml"));
        Assert.Equal(file, PolicyLoader.BuiltinText());
        Assert.Equal(PolicyLoader.Load(Path.Combine(RepoPaths.Root, "profiles", "policy.yaml")).Sha256, PolicyLoader.Builtin().Sha256);
    }
}
