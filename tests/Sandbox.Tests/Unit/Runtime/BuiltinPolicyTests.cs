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
    [InlineData(TrustLevel.Untrusted, BackendKind.Container)] // asking for weaker isolation does not get it
    [InlineData(TrustLevel.Untrusted, BackendKind.MicroVm)]
    [InlineData(TrustLevel.Trusted, BackendKind.MicroVm)]
    public void Everything_needing_a_microvm_is_refused_fail_closed(TrustLevel trust, BackendKind requested)
    {
        var e = Assert.Throws<SandboxException>(() => BuiltinPolicy.Decide(trust, requested, "default", ResourceLimits.Default));
        Assert.Equal(ErrorKind.Refused, e.Kind);
        Assert.Equal(125, e.ExitCode);
    }
}
