using System.Security.Cryptography;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Host.Files;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

/// <summary>The identity-keyed digest cache that spares each microVM run reading crun and its libraries.</summary>
public sealed class FileFactsCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-facts-").FullName;

    private string CacheFile => Path.Combine(_dir, "file-facts");

    [Fact]
    public void A_warm_cache_gives_the_digest_without_reading_the_file_again()
    {
        string file = Path.Combine(_dir, "lib.so");
        File.WriteAllBytes(file, [1, 2, 3]);
        var first = new FileFactsCache(CacheFile, TimeSpan.Zero);
        string sha = first.Facts(file, elf: false).Sha256;
        first.Save();
        Assert.Equal(1, first.Reads);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3 })), sha);

        var second = new FileFactsCache(CacheFile, TimeSpan.Zero);
        Assert.Equal(sha, second.Facts(file, elf: false).Sha256);
        Assert.Equal(0, second.Reads);
    }

    [Fact]
    public void A_changed_file_is_hashed_again_even_with_the_same_size_and_mtime()
    {
        string file = Path.Combine(_dir, "lib.so");
        File.WriteAllBytes(file, [1, 2, 3]);
        var mtime = File.GetLastWriteTimeUtc(file);
        var cache = new FileFactsCache(CacheFile, TimeSpan.Zero);
        string before = cache.Facts(file, elf: false).Sha256;
        cache.Save();

        File.WriteAllBytes(file, [9, 9, 9]); // same size; the mtime is even put back: only the ctime shows the write
        File.SetLastWriteTimeUtc(file, mtime);
        var again = new FileFactsCache(CacheFile, TimeSpan.Zero);
        string after = again.Facts(file, elf: false).Sha256;
        Assert.Equal(1, again.Reads);
        Assert.NotEqual(before, after);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 9, 9, 9 })), after);
    }

    [Fact]
    public void A_file_changed_within_the_settle_time_is_used_but_not_cached()
    {
        string file = Path.Combine(_dir, "fresh");
        File.WriteAllBytes(file, [1]);
        var cache = new FileFactsCache(CacheFile); // default: two seconds
        cache.Facts(file, elf: false);
        cache.Save();
        Assert.False(File.Exists(CacheFile));
        cache.Facts(file, elf: false);
        Assert.Equal(2, cache.Reads);
    }

    [Fact]
    public void Crun_and_its_libraries_are_planned_from_the_cache_with_the_digests_of_their_content()
    {
        Require.That(File.Exists(GuestRuntime.Crun), "needs crun (apt-get install crun)");
        var cold = new FileFactsCache(CacheFile);
        var plan = GuestRuntime.Plan(cold);
        cold.Save();
        Assert.Equal(plan.Count, cold.Reads); // Debian's packaged files are old enough to cache
        var warm = new FileFactsCache(CacheFile);
        Assert.Equal(plan, GuestRuntime.Plan(warm));
        Assert.Equal(0, warm.Reads);
        Assert.Equal(GuestRuntime.Files().Select(f => (f.GuestPath, Convert.ToHexStringLower(SHA256.HashData(f.Content)))),
            plan.Select(f => (f.GuestPath, f.Sha256)));
    }

    [Fact]
    public void The_cache_file_round_trips_and_ignores_malformed_lines()
    {
        var id = new FileIdentity(2049, 1234, 3, 1_700_000_000_000_000_001, 1_700_000_000_000_000_002);
        var elf = new FileFacts(new string('a', 64), new ElfLinkage("/lib64/ld-linux-x86-64.so.2", ["libc.so.6", "libcap.so.2"]));
        var plain = new FileFacts(new string('b', 64), null);
        string text = FileFactsCache.Format([("/usr/bin/crun", id, elf), ("/bin/busybox", id, plain)]);
        Snapshot.Match("file-facts.txt", text);
        var parsed = FileFactsCache.Parse(text + "torn\tline\n/x\t1\t2\n").ToList();
        Assert.Equal(2, parsed.Count);
        Assert.Equal(["libc.so.6", "libcap.so.2"], parsed.Single(p => p.Path == "/usr/bin/crun").Facts.Linkage!.Needed);
        Assert.Null(parsed.Single(p => p.Path == "/bin/busybox").Facts.Linkage);
        Assert.Empty(FileFactsCache.Parse("another-format\n" + text.Split('\n', 2)[1]));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
