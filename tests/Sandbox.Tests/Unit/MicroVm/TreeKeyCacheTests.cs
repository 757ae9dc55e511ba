using Sandbox.Backends.MicroVm.Disk;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Host.Files;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class TreeKeyCacheTests
{
    private static string Tree(string content)
    {
        string rootfs = TestTemp.Directory("tree-key-");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc", "motd"), content);
        return rootfs;
    }

    [Fact]
    public void A_published_tree_is_walked_once_and_its_key_is_kept_across_runs()
    {
        string rootfs = Tree("one");
        string file = Path.Combine(TestTemp.Directory("tree-key-cache-"), TreeKeyCache.FileName);
        var first = new TreeKeyCache(file, settle: TimeSpan.Zero);
        TreeKey key = first.KeyOf(rootfs);
        Assert.Equal(key, first.KeyOf(rootfs));
        first.Save();
        Assert.Equal(1, first.Walks);

        var next = new TreeKeyCache(file, settle: TimeSpan.Zero); // the next run
        Assert.Equal(key, next.KeyOf(rootfs));
        Assert.Equal(0, next.Walks);
        Assert.Equal(RootDisk.KeyOf(rootfs), key.Key); // the same key a full walk gives
    }

    [Fact]
    public void A_tree_replaced_at_the_same_path_is_walked_again_and_gets_its_own_key()
    {
        string rootfs = Tree("one");
        var cache = new TreeKeyCache(null, settle: TimeSpan.Zero);
        TreeKey before = cache.KeyOf(rootfs);

        string replacement = Tree("another"); // as the store publishes: a new directory renamed into place (the key covers sizes, not bytes)
        Directory.Delete(rootfs, recursive: true);
        Directory.Move(replacement, rootfs);
        TreeKey after = cache.KeyOf(rootfs);

        Assert.Equal(2, cache.Walks);
        Assert.NotEqual(before.Key, after.Key);
    }

    [Fact]
    public void A_tree_changed_in_the_last_seconds_is_not_remembered()
    {
        string rootfs = Tree("one"); // made just now
        string file = Path.Combine(TestTemp.Directory("tree-key-cache-"), TreeKeyCache.FileName);
        var cache = new TreeKeyCache(file);
        cache.KeyOf(rootfs);
        cache.KeyOf(rootfs);
        cache.Save();
        Assert.Equal(2, cache.Walks);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void A_forgotten_tree_is_walked_again()
    {
        string rootfs = Tree("one");
        string file = Path.Combine(TestTemp.Directory("tree-key-cache-"), TreeKeyCache.FileName);
        var cache = new TreeKeyCache(file, settle: TimeSpan.Zero);
        cache.KeyOf(rootfs);
        cache.Save();

        var removing = new TreeKeyCache(file, settle: TimeSpan.Zero); // image rm
        removing.Forget(rootfs);
        removing.Save();

        var next = new TreeKeyCache(file, settle: TimeSpan.Zero);
        next.KeyOf(rootfs);
        Assert.Equal(1, next.Walks);
    }

    [Fact]
    public void Lines_round_trip_and_a_torn_or_foreign_line_is_skipped()
    {
        var id = new FileIdentity(2049, 77, 4096, 1_700_000_000_000_000_000, 1_700_000_000_000_000_001);
        var key = new TreeKey(new string('a', 64), 12345);
        string text = TreeKeyCache.Format([("/state/images/sha256-x/rootfs", id, key)]);
        Assert.Equal([("/state/images/sha256-x/rootfs", id, key)], TreeKeyCache.Parse(text));

        string torn = text + "/state/images/sha256-y/rootfs\t2049\t78\t4096\t1\t2\t" + new string('b', 63) + "\t1\n"
            + "relative/rootfs\t2049\t79\t4096\t1\t2\t" + new string('c', 64) + "\t1\n"
            + "/state/images/sha256-z/rootfs\t2049\t80\t4096\t1\t2\t" + new string('d', 64) + "\t-5\n";
        Assert.Single(TreeKeyCache.Parse(torn));
        Assert.Empty(TreeKeyCache.Parse("sandbox-tree-keys-0\n" + text.Split('\n', 2)[1]));
        Assert.Empty(TreeKeyCache.Parse("sandbox-tree-keys-1 sandbox-rootdisk-3\n" + text.Split('\n', 2)[1])); // keys of an older format
    }
}
