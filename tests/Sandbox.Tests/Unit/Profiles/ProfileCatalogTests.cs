using Sandbox.Profiles;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Profiles;

public class ProfileCatalogTests
{
    [Fact]
    public void Default_is_built_in_and_loads()
    {
        Assert.Contains("default", ProfileCatalog.Names);
        SeccompProfile p = ProfileCatalog.Resolve("default");
        Assert.Equal("default", p.Name);
        Assert.Equal(SeccompAction.Errno, p.DefaultAction);
        Assert.Equal("EPERM", p.DefaultErrno);
    }

    [Fact]
    public void Every_built_in_profile_is_named_after_its_file()
    {
        foreach (string name in ProfileCatalog.Names)
        {
            Assert.Equal(name, ProfileCatalog.Resolve(name).Name);
        }
    }

    [Fact]
    public void Embedded_default_is_the_file_in_the_repository()
    {
        string path = Path.Combine(RepoPaths.Root, "profiles", "seccomp", "default.yaml");
        SeccompProfile fromDisk = ProfileCatalog.Resolve(path);
        Assert.Equal(
            ProfileDigest.Sha256(OciSeccompEmitter.Emit(fromDisk)),
            ProfileDigest.Sha256(OciSeccompEmitter.Emit(ProfileCatalog.Resolve("default"))));
    }

    [Fact]
    public void Paths_are_loaded_from_disk()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"catalog-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "mine.yaml"), ProfileYaml.Valid);
            Assert.Equal("test", ProfileCatalog.Resolve(Path.Combine(dir, "mine.yaml")).Name);
            // A directory is named as one (it was "does not exist").
            var e = Assert.Throws<SandboxException>(() => ProfileCatalog.Resolve(dir));
            Assert.Contains($"'{dir}' is a directory, not a seccomp profile file", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("does-not-exist.yaml", "seccomp profile file 'does-not-exist.yaml' does not exist")]
    [InlineData("./default", "seccomp profile file './default' does not exist")]
    [InlineData("strict", "unknown seccomp profile 'strict'")]
    public void Unknown_names_and_missing_files_list_the_built_ins(string value, string message)
    {
        var e = Assert.Throws<SandboxException>(() => ProfileCatalog.Resolve(value));
        Assert.Equal(ErrorKind.InvalidProfile, e.Kind);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Contains("default", e.Hint, StringComparison.Ordinal);
    }
}
