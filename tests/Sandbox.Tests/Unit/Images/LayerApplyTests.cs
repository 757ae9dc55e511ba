using Sandbox.Images;
using Sandbox.Images.Store;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Images;

/// <summary>The OCI layer semantics extraction must get right: whiteouts, opaque directories, links, modes, the store.</summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class LayerApplyTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-layers-").FullName;
    private readonly StateRoot _root;

    public LayerApplyTests()
    {
        Require.Root(); // extraction chowns every entry to its image owner
        _root = new StateRoot(Path.Combine(_work, "root"));
    }

    [Fact]
    public void Whiteouts_and_opaque_directories_hide_lower_layers_only()
    {
        var lower = new TarBuilder().File("etc/keep", "k").File("etc/gone", "g").File("opaque/old", "o").File("opaque/sub/old2", "o");
        var upper = new TarBuilder().File("etc/.wh.gone").File("opaque/.wh..wh..opq").File("opaque/new", "n");
        string rootfs = Rootfs(Import([lower.Build(), upper.Build()]));
        Assert.True(File.Exists(Path.Combine(rootfs, "etc", "keep")));
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", "gone")));
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", ".wh.gone")));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(rootfs, "opaque")).Select(Path.GetFileName));
    }

    [Fact]
    public void Hard_links_inside_the_image_share_the_file_and_directory_modes_are_kept()
    {
        var layer = new TarBuilder().Dir("private", (UnixFileMode)0b111_000_000).File("private/a", "data").HardLink("b", "private/a");
        string rootfs = Rootfs(Import([layer.Build()]));
        Assert.Equal("data", File.ReadAllText(Path.Combine(rootfs, "b")));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(Path.Combine(rootfs, "private")));
    }

    [Fact]
    public void A_root_entry_written_as_slash_names_the_root_itself()
    {
        var layer = new TarBuilder().Dir("/").Dir("./").File("./etc/x", "x");
        Assert.True(File.Exists(Path.Combine(Rootfs(Import([layer.Build()])), "etc", "x")));
    }

    [Fact]
    public void Owners_are_applied_as_on_disk_ids_and_recorded()
    {
        var layer = new TarBuilder()
            .Add(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "home/app") { Mode = (UnixFileMode)0b111_000_000, Uid = 1000, Gid = 1000 })
            .File("home/app/x", "x", (UnixFileMode)0b110_000_000, uid: 1000, gid: 1001)
            .Add(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "home/app/link") { LinkName = "/etc/passwd", Uid = 1002, Gid = 1003 })
            .File("etc/shadow", "", (UnixFileMode)0b110_100_000, uid: 0, gid: 42);
        var result = Import([layer.Build()]);
        string rootfs = Rootfs(result);
        Assert.Equal(1, result.Report.Owners["1000:1001"]);
        Assert.Equal((1000u, 1000u), Sandbox.Host.Files.FileOwner.Get(Path.Combine(rootfs, "home", "app")));
        Assert.Equal((1000u, 1001u), Sandbox.Host.Files.FileOwner.Get(Path.Combine(rootfs, "home", "app", "x")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(rootfs, "home", "app", "x")));
        Assert.Equal((1002u, 1003u), Sandbox.Host.Files.FileOwner.Get(Path.Combine(rootfs, "home", "app", "link"))); // the link itself, not its target
        Assert.Equal((0u, 42u), Sandbox.Host.Files.FileOwner.Get(Path.Combine(rootfs, "etc", "shadow")));
        Assert.Equal((0u, 0u), Sandbox.Host.Files.FileOwner.Get(Path.Combine(rootfs, "etc"))); // implied parents belong to root
    }

    [Fact]
    public void Names_digests_and_removal_with_garbage_collection()
    {
        var result = Import([new TarBuilder().File("a", "1").Build()], "one:1");
        string layout2 = Path.Combine(_work, "second");
        OciLayoutWriter.Write(layout2, [new TarBuilder().File("a", "2").Build()]);
        ImageImporter.Import(_root, layout2, "two");
        Assert.Equal(2, ImageStore.List(_root).Count);
        Assert.Equal(result.Digest, ImageStore.Inspect(_root, "one:1").Digest);
        Assert.Equal(result.Digest, ImageStore.Inspect(_root, result.Digest[7..19]).Digest);
        Assert.NotNull(ImageStore.TryResolve(_root, "two:latest"));

        var removed = ImageStore.Remove(_root, "one:1");
        Assert.Equal(result.Digest, removed.Deleted);
        Assert.Equal(3, removed.BlobsFreed); // manifest, config, layer
        Assert.Single(ImageStore.List(_root));
        Assert.False(Directory.Exists(Path.Combine(_root.Images, "sha256-" + result.Digest[7..])));
        var e = Assert.Throws<SandboxException>(() => ImageStore.Inspect(_root, "one:1"));
        Assert.Contains("'one:1' not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_name_for_the_same_image_is_untagged_without_deleting_it()
    {
        var result = Import([new TarBuilder().File("a", "1").Build()], "app:1");
        string layout = Directory.EnumerateDirectories(_work, "layout-*").Single();
        ImageImporter.Import(_root, layout, "app:stable");
        var removed = ImageStore.Remove(_root, "app:1");
        Assert.Null(removed.Deleted);
        Assert.Equal(result.Digest, ImageStore.Inspect(_root, "app:stable").Digest);
    }

    [Fact]
    public void Image_config_is_honoured()
    {
        string layout = Path.Combine(_work, "cfg");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("bin/tool", "#!", (UnixFileMode)0b111_101_101).Build()],
            "\"Entrypoint\":[\"/bin/tool\"],\"Cmd\":[\"--help\"],\"Env\":[\"A=1\"],\"WorkingDir\":\"/bin\",\"User\":\"1000:1000\",\"Labels\":{\"team\":\"sec\"}");
        ImageImporter.Import(_root, layout, "cfg");
        Image image = ImageStore.TryResolve(_root, "cfg")!;
        Assert.Equal(["/bin/tool", "--help"], image.CommandFor([]));
        Assert.Equal(["/bin/tool", "x"], image.CommandFor(["x"]));
        Assert.Contains("A=1", image.DefaultEnv);
        Assert.Contains(image.DefaultEnv, e => e.StartsWith("PATH=", StringComparison.Ordinal));
        Assert.Equal("/bin", image.DefaultWorkingDir);
        Assert.Equal((1000u, 1000u), image.UserIds());
        Assert.Equal("sec", image.Labels["team"]);
        Assert.Throws<SandboxException>(() => (image with { User = "app" }).UserIds());
    }

    [Fact]
    public void A_corrupt_refs_file_is_reported_by_path_not_as_a_crash()
    {
        Import([new TarBuilder().File("a", "1").Build()]);
        File.WriteAllText(Path.Combine(_root.Images, "store", "refs.json"), "{not json");
        var e = Assert.Throws<SandboxException>(() => ImageStore.List(_root));
        Assert.Contains("refs.json is corrupt", e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
    }

    [Theory]
    [InlineData("app", "app:latest")]
    [InlineData("docker.io/library/app:1", "app:1")]
    [InlineData("localhost/app:1", "app:1")]
    [InlineData("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest")]
    public void References_are_normalized(string given, string expected) => Assert.Equal(expected, ImageReference.Normalize(given));

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private ImportResult Import(IReadOnlyList<byte[]> layers, string name = "test:1")
    {
        string layout = Path.Combine(_work, $"layout-{Guid.NewGuid():N}");
        OciLayoutWriter.Write(layout, layers);
        return ImageImporter.Import(_root, layout, name);
    }

    private string Rootfs(ImportResult result) => Path.Combine(_root.Images, "sha256-" + result.Digest[7..], "rootfs");
}
