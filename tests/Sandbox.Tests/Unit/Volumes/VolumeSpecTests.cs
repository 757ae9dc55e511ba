using Sandbox.Host.Mounts;
using Sandbox.Runtime;
using Sandbox.Volumes;

namespace Sandbox.Tests.Unit.Volumes;

public sealed class VolumeSpecTests
{
    [Theory]
    [InlineData("cases:/data", "cases", "/data", false)]
    [InlineData("cases:/data:ro", "cases", "/data", true)]
    [InlineData("c-1.x_y:/a//b/:rw", "c-1.x_y", "/a/b", false)]
    public void Parses_name_target_and_mode(string text, string name, string target, bool readOnly) =>
        Assert.Equal(new VolumeSpec(name, target, readOnly), VolumeSpec.Parse(text));

    [Theory]
    [InlineData("nocolon")]
    [InlineData("a:/b:ro:x")]
    [InlineData("a:/x/../etc")]
    [InlineData("a:/sys/fs")]
    [InlineData("a:/dev")]
    [InlineData("-a:/x")]
    [InlineData("a:/x\ny")]
    [InlineData("a:/x\ty")]
    public void Rejects_malformed_specs(string text)
    {
        var e = Assert.Throws<SandboxException>(() => VolumeSpec.Parse(text));
        Assert.Equal(125, e.ExitCode);
    }

    [Fact]
    public void Absolute_host_paths_parse_as_binds_for_policy_to_decide()
    {
        Assert.True(VolumeSpec.Parse("/etc:/x").IsBind);
        Assert.False(VolumeSpec.Parse("etc:/x").IsBind);
        Assert.Throws<SandboxException>(() => VolumeSpec.Parse("./etc:/x"));
    }

    [Fact]
    public void Mount_points_must_not_nest()
    {
        Assert.Throws<SandboxException>(() => VolumeSpec.CheckDisjoint([VolumeSpec.Parse("a:/d"), VolumeSpec.Parse("b:/d/e")]));
        Assert.Throws<SandboxException>(() => VolumeSpec.CheckDisjoint([VolumeSpec.Parse("a:/d"), VolumeSpec.Parse("b:/d")]));
        VolumeSpec.CheckDisjoint([VolumeSpec.Parse("a:/d"), VolumeSpec.Parse("b:/de")]);
    }

    [Theory]
    [InlineData(@"/a\040b", "/a b")]
    [InlineData(@"/plain", "/plain")]
    [InlineData(@"/tab\011x\134y", "/tab\tx\\y")]
    public void Mountinfo_escapes_are_decoded(string field, string expected) =>
        Assert.Equal(expected, MountTable.Unescape(field));
}
