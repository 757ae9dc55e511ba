using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class AcceleratorOverrideTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("kvm", Accelerator.Kvm)]
    [InlineData("tcg", Accelerator.Tcg)]
    public void Parses_the_two_accelerators_and_unset(string? value, Accelerator? expected) =>
        Assert.Equal(expected, AcceleratorOverride.Parse(value));

    [Theory]
    [InlineData("KVM")]
    [InlineData("hvf")]
    [InlineData("none")]
    public void Anything_else_is_an_error_not_ignored(string value)
    {
        var e = Assert.Throws<SandboxException>(() => AcceleratorOverride.Parse(value));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void The_notice_names_the_variable_and_the_choice() =>
        Assert.Equal("sandbox: SANDBOX_ACCELERATOR=kvm forces the microVM accelerator (the host probe was not consulted)\n",
            AcceleratorOverride.Notice(Accelerator.Kvm));
}
