using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>
/// `sandbox kernel build` through bin/sandbox: the suite's shared state root has the minimal
/// kernels built (MicroVmHost builds them once per machine); building again is a no-op, another
/// state root gets the same build from the machine's build cache instead of compiling, and the
/// wrong verb or an untrusted cache directory is a 125 naming the fix.
/// </summary>
public sealed class KernelBuildTests
{
    [Fact]
    public void A_built_kernel_is_kept_by_its_key_and_another_state_root_copies_it_from_the_build_cache()
    {
        using var shared = MicroVmHost.Cli();
        var again = shared.Run(["kernel", "build", "minimal-6.1", "--cache", MicroVmHost.BuildCacheDir], stdin: null, TimeSpan.FromMinutes(10));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("already built with this config and toolchain", again.Stderr, StringComparison.Ordinal);
        using var listing = JsonDocument.Parse(shared.Run("kernel", "ls", "--json").Stdout);
        var minimal = listing.RootElement.EnumerateArray().Single(k => k.GetProperty("name").GetString() == "minimal-6.1");
        Assert.True(minimal.GetProperty("default").GetBoolean(), "once built, the minimal kernel is what runs boot");
        Assert.Equal("yes", minimal.GetProperty("status").GetString());

        using var fresh = new SandboxCli();
        var copy = fresh.Run(["kernel", "build", "minimal-6.1", "--cache", MicroVmHost.BuildCacheDir], stdin: null, TimeSpan.FromMinutes(10));
        Assert.True(copy.ExitCode == 0, copy.ToString());
        Assert.Contains("copied from the build cache", copy.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("compiling", copy.Stderr, StringComparison.Ordinal);
        string Sha(SandboxCli cli) => JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.StateRoot, "kernels", "minimal-6.1", "manifest.json")))
            .RootElement.GetProperty("vmlinuzSha256").GetString()!;
        Assert.Equal(Sha(shared), Sha(fresh));
        Assert.False(File.Exists(Path.Combine(fresh.StateRoot, "kernels", "minimal-6.1", "vmlinuz")));
        Assert.True(File.Exists(Path.Combine(fresh.StateRoot, "kernels", "minimal-6.1", "config"))); // the full .config it was built with
    }

    [Fact]
    public void The_wrong_verb_or_an_untrusted_build_cache_is_refused_with_the_fix()
    {
        Require.Root();
        using var cli = new SandboxCli();
        var build = cli.Run("kernel", "build", "debian-6.1");
        Assert.Equal(125, build.ExitCode);
        Assert.Contains("sandbox kernel fetch debian-6.1", build.Stderr, StringComparison.Ordinal);

        var fetch = cli.Run("kernel", "fetch", "minimal-6.1");
        Assert.Equal(125, fetch.ExitCode);
        Assert.Contains("sandbox kernel build minimal-6.1", fetch.Stderr, StringComparison.Ordinal);

        string open = Directory.CreateTempSubdirectory("sandbox-open-cache-").FullName;
        try
        {
            File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111); // anyone could plant a "build" here
            var refused = cli.Run("kernel", "build", "minimal-6.1", "--cache", open);
            Assert.Equal(125, refused.ExitCode);
            Assert.Contains("writable by others", refused.Stderr, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(open));
            Assert.False(Directory.Exists(Path.Combine(cli.StateRoot, "kernels", "minimal-6.1")));

            // Not a directory, or not the directory itself: named, never an internal error ("host I/O error: The file '/dev/null' already exists").
            string link = Path.Combine(open, "link");
            File.CreateSymbolicLink(link, Path.GetTempPath());
            foreach (var (cache, what) in new[] { ("/dev/null", "exists and is not a directory"), (link, "is a symbolic link") })
            {
                var notDirectory = cli.Run("kernel", "build", "minimal-6.1", "--cache", cache);
                Assert.Equal(125, notDirectory.ExitCode);
                Assert.Contains($"--cache: '{cache}' {what}", notDirectory.Stderr, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(open, recursive: true);
        }
    }
}
