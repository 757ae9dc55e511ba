using Sandbox.Profiles;
using static Sandbox.Tests.Unit.Profiles.ProfileYaml;

namespace Sandbox.Tests.Unit.Profiles;

/// <summary>"At least as strict": the check that lets --seccomp-profile tighten the policy's profile, never loosen it.</summary>
public sealed class ProfileStrictnessTests
{
    private static readonly SeccompProfile Default = ProfileCatalog.Resolve("default");

    private static bool Strict(string groups, out string why) =>
        ProfileStrictness.IsAtLeastAsStrict(SeccompProfileLoader.Parse(Head + groups, "c.yaml"), Default, out why);

    [Fact]
    public void A_profile_is_as_strict_as_itself() => Assert.True(ProfileStrictness.IsAtLeastAsStrict(Default, Default, out _));

    [Fact]
    public void A_subset_of_allowed_syscalls_is_stricter() => Assert.True(Strict(Group(syscalls: "[read, write, exit_group]"), out _));

    [Fact]
    public void Denying_with_another_errno_is_still_strict() =>
        Assert.True(Strict(Group(syscalls: "[read]") + Group("deny", action: "errno", syscalls: "[mount]", extra: "errno: ENOSYS"), out _));

    [Fact]
    public void An_extra_syscall_is_looser_and_named()
    {
        Assert.False(Strict(Group(syscalls: "[read, ptrace]"), out string why));
        Assert.Contains("ptrace", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Logging_counts_as_allowing() => Assert.False(Strict(Group(action: "log", syscalls: "[unshare]"), out _));

    [Fact]
    public void An_unconditional_allow_of_a_conditioned_syscall_is_looser()
    {
        Assert.False(Strict(Group(syscalls: "[socket]"), out string why));
        Assert.Contains("wider argument condition", why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_narrower_argument_condition_is_stricter() =>
        Assert.True(Strict(Group(syscalls: "[socket]", extra: "when: {arg: 0, in: [AF_UNIX]}"), out _));

    [Fact]
    public void A_wider_argument_condition_is_looser() =>
        Assert.False(Strict(Group(syscalls: "[socket]", extra: "when: {arg: 0, in: [AF_UNIX, AF_VSOCK]}"), out _));
}
