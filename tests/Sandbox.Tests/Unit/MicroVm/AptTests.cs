using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class AptTests
{
    [Fact]
    public void The_mirror_comes_from_one_line_and_deb822_sources()
    {
        string dir = Directory.CreateTempSubdirectory("apt-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sources.list.d"));
            File.WriteAllText(Path.Combine(dir, "sources.list.d", "debian.sources"),
                "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security/\nSuites: bookworm-security\n");
            var m = DebianMirror.FromHost(dir);
            Assert.Equal("http://mirror.example/debian", m.Main);
            Assert.Equal("http://mirror.example/debian-security", m.Security);

            File.Delete(Path.Combine(dir, "sources.list.d", "debian.sources"));
            File.WriteAllText(Path.Combine(dir, "sources.list"), "# comment\ndeb [signed-by=/k.gpg] https://other.example/debian/ bookworm main\n");
            m = DebianMirror.FromHost(dir);
            Assert.Equal("https://other.example/debian", m.Main);
            Assert.Equal("https://other.example/debian-security", m.Security); // derived when not listed
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void No_debian_mirror_is_a_clear_error()
    {
        string dir = Directory.CreateTempSubdirectory("apt-").FullName;
        try
        {
            var e = Assert.Throws<SandboxException>(() => DebianMirror.FromHost(dir));
            Assert.Contains("SANDBOX_DEBIAN_MIRROR", e.Hint, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_signed_index_record_is_parsed()
    {
        string show = "Package: linux-image-6.1.0-56-amd64\nVersion: 6.1.192-2\nFilename: pool/main/l/x_6.1.192-2_amd64.deb\n"
            + "SHA256: " + new string('A', 64) + "\n\nPackage: other\nVersion: 1\n";
        var r = AptRecord.Parse(show, "linux-image-6.1.0-56-amd64");
        Assert.Equal("6.1.192-2", r.Version);
        Assert.Equal(new string('a', 64), r.Sha256);
        Assert.EndsWith("_amd64.deb", r.Filename, StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_whose_sha256_differs_from_the_index_is_refused()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not the package Debian signed");
            var e = Assert.Throws<SandboxException>(() => KernelFetcher.VerifyDeb(file, new string('0', 64)));
            Assert.Contains("refused", e.Message, StringComparison.Ordinal);
            Assert.Contains(file, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
