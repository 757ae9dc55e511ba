using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Runtime;

public sealed class BuiltinPolicyTests
{
    [Theory]
    [InlineData(TrustLevel.Trusted, BackendKind.Auto)]
    [InlineData(TrustLevel.Trusted, BackendKind.Container)]
    public void Trusted_workloads_get_the_hardened_container(TrustLevel trust, BackendKind requested) =>
        Assert.Equal(BackendKind.Container, BuiltinPolicy.Decide(trust, requested, "default", ResourceLimits.Default).Backend);

    [Theory]
    [InlineData(TrustLevel.Untrusted, BackendKind.Auto)]
    [InlineData(TrustLevel.Untrusted, BackendKind.MicroVm)]
    [InlineData(TrustLevel.Trusted, BackendKind.MicroVm)]
    public void Untrusted_workloads_and_explicit_requests_get_the_microvm(TrustLevel trust, BackendKind requested)
    {
        var decision = BuiltinPolicy.Decide(trust, requested, "default", ResourceLimits.Default);
        Assert.Equal(BackendKind.MicroVm, decision.Backend);
        Assert.NotEmpty(decision.Reason);
    }

    [Fact]
    public void Asking_for_weaker_isolation_than_untrusted_needs_is_refused_fail_closed()
    {
        var e = Assert.Throws<SandboxException>(() =>
            BuiltinPolicy.Decide(TrustLevel.Untrusted, BackendKind.Container, "default", ResourceLimits.Default));
        Assert.Equal(ErrorKind.Refused, e.Kind);
        Assert.Equal(125, e.ExitCode);
        Assert.Contains("--trust trusted", e.Hint, StringComparison.Ordinal);
    }
}
