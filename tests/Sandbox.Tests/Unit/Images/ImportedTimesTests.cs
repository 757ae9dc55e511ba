using System.Formats.Tar;
using Sandbox.Backends.MicroVm.Disk;
using Sandbox.Backends.MicroVm.Templates;
using Sandbox.Images;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Images;

/// <summary>
/// An image's files keep the times their layers give them, so one image imported twice is one tree
/// (and one microVM root disk); removing the image removes the disk and the templates built on it.
/// Regression: every import stamped "now", so each re-import of a Debian image built and kept
/// another 400 MB disk, and a CI machine's disk filled up.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class ImportedTimesTests : IDisposable
{
    private static readonly DateTimeOffset Dir = new(2019, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly DateTimeOffset FileTime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
    private static readonly DateTimeOffset Link = new(2021, 6, 7, 8, 9, 10, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = new(2022, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-times-").FullName;

    public ImportedTimesTests() => Require.Root(); // extraction chowns every entry

    [Fact]
    public void Files_links_and_directories_keep_their_layer_times_and_what_the_import_makes_gets_the_epoch()
    {
        var lower = new TarBuilder()
            .Add(new PaxTarEntry(TarEntryType.Directory, "srv") { Mode = (UnixFileMode)0b111_101_101, ModificationTime = Dir })
            .Add(new PaxTarEntry(TarEntryType.RegularFile, "srv/a") { Mode = (UnixFileMode)0b110_100_100, ModificationTime = FileTime })
            .Add(new PaxTarEntry(TarEntryType.SymbolicLink, "srv/l") { LinkName = "a", ModificationTime = Link })
            .Add(new PaxTarEntry(TarEntryType.RegularFile, "deep/er/f") { Mode = (UnixFileMode)0b110_100_100, ModificationTime = FileTime });
        var upper = new TarBuilder() // writes into srv after the lower layer set its time
            .Add(new PaxTarEntry(TarEntryType.RegularFile, "srv/b") { Mode = (UnixFileMode)0b110_100_100, ModificationTime = Later });
        string rootfs = Import(new StateRoot(Path.Combine(_work, "root")), [lower.Build(), upper.Build()]);

        Assert.Equal(Dir.UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(rootfs, "srv")));
        Assert.Equal(FileTime.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(rootfs, "srv", "a"))); // sub-second too
        Assert.Equal(Later.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(rootfs, "srv", "b")));
        Assert.Equal(Link.UtcDateTime, new FileInfo(Path.Combine(rootfs, "srv", "l")).LastWriteTimeUtc); // the link's own (lstat)
        Assert.Equal(FileTime.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(rootfs, "srv", "a"))); // the link's target untouched
        Assert.Equal(DateTime.UnixEpoch, Directory.GetLastWriteTimeUtc(Path.Combine(rootfs, "deep"))); // implied parents
        Assert.Equal(DateTime.UnixEpoch, Directory.GetLastWriteTimeUtc(Path.Combine(rootfs, "deep", "er")));
        Assert.Equal(DateTime.UnixEpoch, Directory.GetLastWriteTimeUtc(Path.Combine(rootfs, "proc"))); // fresh mount points
    }

    [Fact]
    public void One_image_imported_into_two_roots_gives_the_same_tree_and_so_the_same_root_disk()
    {
        var layer = new TarBuilder().Dir("etc").File("etc/a", "1").Symlink("etc/l", "a").File("usr/bin/tool", "#!", (UnixFileMode)0b111_101_101).Build();
        string first = Import(new StateRoot(Path.Combine(_work, "one")), [layer]);
        Thread.Sleep(1100); // a second later: "now" would differ
        string second = Import(new StateRoot(Path.Combine(_work, "two")), [layer]);
        Assert.Equal(RootDisk.KeyOf(first), RootDisk.KeyOf(second));
    }

    [Fact]
    public void Removing_an_image_deletes_its_root_disk_and_templates_unless_a_kept_image_has_the_same_layers()
    {
        Require.Tool("mkfs.ext4");
        var root = new StateRoot(Path.Combine(_work, "rm"));
        byte[] layer = new TarBuilder().File("bin/x", "x", (UnixFileMode)0b111_101_101).Build();
        byte[] other = new TarBuilder().File("bin/y", "y", (UnixFileMode)0b111_101_101).Build();
        Import(root, [layer], "same:1");
        Import(root, [layer], "same:2", config: "\"Cmd\":[\"/bin/x\"]"); // another image (config), the same tree
        Import(root, [other], "other:1");
        string disk = RootDisk.Ensure(root, ImageStore.TryResolve(root, "same:1")!, CancellationToken.None);
        string otherDisk = RootDisk.Ensure(root, ImageStore.TryResolve(root, "other:1")!, CancellationToken.None);
        string template = SaveTemplateOn(root, Path.GetFileNameWithoutExtension(disk));
        string otherTemplate = SaveTemplateOn(root, Path.GetFileNameWithoutExtension(otherDisk));

        Assert.NotNull(ImageStore.Remove(root, "same:1").Deleted);
        Assert.True(File.Exists(disk), "same:2 has the same tree: its disk stays");
        Assert.True(File.Exists(template));

        Assert.NotNull(ImageStore.Remove(root, "same:2").Deleted);
        Assert.False(File.Exists(disk), "the last image of that tree is gone, and so is its disk");
        Assert.False(File.Exists(template));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(template)!, Path.GetFileName(template).Split('.')[0] + "-*.state"));
        Assert.True(File.Exists(otherDisk), "another image's disk is untouched");
        Assert.True(File.Exists(otherTemplate));
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Import(StateRoot root, IReadOnlyList<byte[]> layers, string name = "t:1", string config = "\"Cmd\":[\"sh\"]")
    {
        string layout = Path.Combine(_work, $"layout-{Guid.NewGuid():N}");
        OciLayoutWriter.Write(layout, layers, config);
        var result = ImageImporter.Import(root, layout, name);
        return Path.Combine(root.Images, "sha256-" + result.Digest[7..], "rootfs");
    }

    /// <summary>A published template on <paramref name="diskKey"/>, through the store's own publish; returns its manifest.</summary>
    private static string SaveTemplateOn(StateRoot root, string diskKey)
    {
        var store = new TemplateStore(root);
        var key = new TemplateKey(new string('a', 64), "i.cpio", diskKey, 128, 1, "tcg", ["acpi=off"], ["console=ttyS0"], new string('b', 64));
        string temp = store.NewTempState();
        File.WriteAllText(temp, "state");
        store.Publish(key, temp, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("state"u8)), 5);
        return Path.Combine(store.Directory, key.Digest + ".manifest");
    }
}
