using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sandbox.Backends.Container;
using Sandbox.Profiles;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Profiles;

public class OciSeccompEmitterTests
{
    private static string Json(OciSeccomp s) => JsonSerializer.Serialize(s, OciJsonContext.Default.OciSeccomp);

    [Fact]
    public void Default_profile_matches_its_snapshot()
    {
        OciSeccomp emitted = OciSeccompEmitter.Emit(ProfileCatalog.Resolve("default"));
        Snapshot.Match("seccomp-default.json", Json(emitted));
    }

    [Fact]
    public void Defaults_and_architectures_map_to_oci_names()
    {
        OciSeccomp s = OciSeccompEmitter.Emit(SeccompProfileLoader.Parse(ProfileYaml.Valid, "t.yaml"));
        Assert.Equal("SCMP_ACT_ERRNO", s.DefaultAction);
        Assert.Equal(1u, s.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64"], s.Architectures);
    }

    [Fact]
    public void Rules_follow_group_order_with_sorted_names_and_one_rule_per_in_value()
    {
        string yaml = ProfileYaml.Head
            + ProfileYaml.Group("io", syscalls: "[write, read, close]")
            + ProfileYaml.Group("sock", syscalls: "[socket]", extra: "when: {arg: 0, in: [AF_INET6, AF_UNIX]}")
            + ProfileYaml.Group("clone", syscalls: "[clone]", extra: "when: {arg: 0, maskedEq: {mask: [CLONE_NEWUSER, 0x1], value: 0x1}}")
            + ProfileYaml.Group("c3", action: "errno", syscalls: "[clone3]", extra: "errno: ENOSYS")
            + ProfileYaml.Group("kill", action: "kill-process", syscalls: "[kexec_load]");

        OciSyscallRule[] rules = [.. OciSeccompEmitter.Emit(SeccompProfileLoader.Parse(yaml, "t.yaml")).Syscalls];

        Assert.Equal(6, rules.Length);
        Assert.Equal(["close", "read", "write"], rules[0].Names);
        Assert.Equal(("SCMP_ACT_ALLOW", (uint?)null, (IReadOnlyList<OciSyscallArg>?)null), (rules[0].Action, rules[0].ErrnoRet, rules[0].Args));
        Assert.Equal([(0u, 10UL, "SCMP_CMP_EQ"), (0u, 1UL, "SCMP_CMP_EQ")], rules[1..3].Select(r => (r.Args![0].Index, r.Args[0].Value, r.Args[0].Op)));
        OciSyscallArg masked = Assert.Single(rules[3].Args!);
        Assert.Equal(new OciSyscallArg(0, 0x10000001, "SCMP_CMP_MASKED_EQ", 1), masked);
        Assert.Equal(("SCMP_ACT_ERRNO", (uint?)38), (rules[4].Action, rules[4].ErrnoRet));
        Assert.Equal(("SCMP_ACT_KILL_PROCESS", (uint?)null), (rules[5].Action, rules[5].ErrnoRet));
    }

    [Fact]
    public void Digest_is_the_sha256_of_the_serialized_json_and_is_stable()
    {
        SeccompProfile profile = ProfileCatalog.Resolve("default");
        OciSeccomp first = OciSeccompEmitter.Emit(profile);
        OciSeccomp second = OciSeccompEmitter.Emit(ProfileCatalog.Resolve("default"));

        string digest = ProfileDigest.Sha256(first);
        Assert.Matches("^[0-9a-f]{64}$", digest);
        Assert.Equal(digest, ProfileDigest.Sha256(second));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Json(first)))), digest);

        OciSeccomp changed = first with { DefaultErrnoRet = 38 };
        Assert.NotEqual(digest, ProfileDigest.Sha256(changed));
    }
}
