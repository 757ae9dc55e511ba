using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Profiles;

public class SeccompProfileLoaderTests
{
    [Fact]
    public void A_valid_profile_is_read_into_the_model()
    {
        string yaml = ProfileYaml.Head
            + ProfileYaml.Group("io", "Programs read.", "allow", "[write, read]")
            + ProfileYaml.Group("sock", "Local sockets only.", "allow", "[socket]", "when: {arg: 0, in: [AF_UNIX, 0x2, 10]}")
            + ProfileYaml.Group("clone", "No namespaces.", "allow", "[clone]", "when: {arg: 0, maskedEq: {mask: [CLONE_NEWUSER, CLONE_NEWNET], value: 0}}")
            + ProfileYaml.Group("c3", "Fallback.", "errno", "[clone3]", "errno: ENOSYS");

        SeccompProfile p = SeccompProfileLoader.Parse(yaml, "t.yaml");

        Assert.Equal("test", p.Name);
        Assert.Equal("A test profile.", p.Description);
        Assert.Equal(SeccompAction.Errno, p.DefaultAction);
        Assert.Equal("EPERM", p.DefaultErrno);
        Assert.Equal(["x86_64"], p.Architectures);
        Assert.Equal(["io", "sock", "clone", "c3"], p.Groups.Select(g => g.Name));
        Assert.Equal(["write", "read"], p.Groups[0].Syscalls);
        Assert.Null(p.Groups[0].When);
        var any = Assert.IsType<ArgEqualsAny>(p.Groups[1].When);
        Assert.Equal([1UL, 2UL, 10UL], any.Values);
        var masked = Assert.IsType<ArgMaskedEquals>(p.Groups[2].When);
        Assert.Equal(0x50000000UL, masked.Mask);
        Assert.Equal(0UL, masked.Value);
        Assert.Equal((SeccompAction.Errno, "ENOSYS"), (p.Groups[3].Action, p.Groups[3].Errno));
    }

    [Fact]
    public void Quoted_null_spellings_are_text()
    {
        SeccompProfile p = SeccompProfileLoader.Parse(ProfileYaml.Head + ProfileYaml.Group(why: "\"~\""), "t.yaml");
        Assert.Equal("~", p.Groups[0].Why);
    }

    [Fact]
    public void Load_reads_a_file_and_names_it_in_errors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"profile-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(path, ProfileYaml.Valid);
            Assert.Equal("test", SeccompProfileLoader.Load(path).Name);

            File.WriteAllText(path, ProfileYaml.Head + ProfileYaml.Group(syscalls: "[reed]"));
            var e = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Load(path));
            Assert.StartsWith($"{path}:10:16: unknown syscall 'reed'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Files_over_one_MiB_are_refused_before_parsing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"profile-{Guid.NewGuid():N}.yaml");
        try
        {
            // Valid YAML up to the limit, then one more byte: the size alone must decide.
            File.WriteAllText(path, ProfileYaml.Valid + "#" + new string('x', SeccompProfileLoader.MaxBytes));
            var e = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Load(path));
            Assert.Equal(ErrorKind.InvalidProfile, e.Kind);
            Assert.Contains($"{path}: the profile is larger than 1 MiB", e.Message, StringComparison.Ordinal);

            var p = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Parse(new string('#', SeccompProfileLoader.MaxBytes + 1), "big.yaml"));
            Assert.Contains("big.yaml: the profile is larger than 1 MiB", p.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_and_non_utf8_files_are_clear_errors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"profile-{Guid.NewGuid():N}.yaml");
        var missing = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Load(path));
        Assert.Contains($"{path}: cannot read the profile", missing.Message, StringComparison.Ordinal);
        try
        {
            File.WriteAllBytes(path, [(byte)'n', 0xff, 0xfe, (byte)'\n']);
            var bad = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Load(path));
            Assert.Contains("not valid UTF-8", bad.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
