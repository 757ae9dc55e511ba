using System.Text.Json;
using Sandbox.Backends.Container;
using Sandbox.Profiles;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Profiles;

/// <summary>
/// The other half of the i386 attack test, independent of the host: whether or not this kernel has a
/// usable 32-bit entry, every filter we emit kills a call that arrives as i386, as x32 (the x32 bit
/// on the x86-64 entry) or as any other architecture, before any rule can allow it. The same numbers
/// on the x86-64 entry reach the rules, so the kill is the architecture check, not a coincidence.
/// </summary>
public class ArchitectureCheckTests
{
    public static TheoryData<string> Profiles => [.. ProfileCatalog.Names];

    private static SeccompEvaluator Emitted(string profile) =>
        new(JsonSerializer.Serialize(OciSeccompEmitter.Emit(ProfileCatalog.Resolve(profile)), OciJsonContext.Default.OciSeccomp));

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Only_x86_64_is_listed(string profile)
    {
        Assert.Equal(["SCMP_ARCH_X86_64"], OciSeccompEmitter.Emit(ProfileCatalog.Resolve(profile)).Architectures);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Every_i386_call_is_killed(string profile)
    {
        SeccompEvaluator filter = Emitted(profile);
        for (uint nr = 0; nr < 1024; nr++)
        {
            Assert.Equal(SeccompEvaluator.BadArchKill, filter.EvaluateRaw(SeccompEvaluator.AuditArchI386, nr));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Every_x32_call_is_killed(string profile)
    {
        SeccompEvaluator filter = Emitted(profile);
        for (uint nr = 0; nr < 1024; nr++)
        {
            Assert.Equal(SeccompEvaluator.BadArchKill, filter.EvaluateRaw(SeccompEvaluator.AuditArchX86_64, SeccompEvaluator.X32SyscallBit | nr));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Calls_from_other_architectures_are_killed(string profile)
    {
        SeccompEvaluator filter = Emitted(profile);
        foreach (uint arch in new[] { SeccompEvaluator.AuditArchAarch64, SeccompEvaluator.AuditArchArm })
        {
            Assert.Equal(SeccompEvaluator.BadArchKill, filter.EvaluateRaw(arch, 20));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void The_same_numbers_on_the_x86_64_entry_reach_the_rules(string profile)
    {
        SeccompEvaluator filter = Emitted(profile);
        Assert.True(filter.EvaluateRaw(SeccompEvaluator.AuditArchX86_64, 39).Allows, "getpid (39) on x86-64 must be allowed");
        Assert.True(filter.EvaluateRaw(SeccompEvaluator.AuditArchX86_64, 0).Allows, "read (0) on x86-64 must be allowed");
        Assert.NotEqual(SeccompEvaluator.BadArchKill, filter.EvaluateRaw(SeccompEvaluator.AuditArchX86_64, 20)); // writev, not i386 getpid
    }
}
