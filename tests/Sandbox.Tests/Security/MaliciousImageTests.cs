using System.Diagnostics;
using Sandbox.Images;
using Sandbox.Images.Extraction;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// A corpus of hostile layers, generated here, each imported through the real pipeline: every one is
/// refused or neutralized, nothing outside the state root changes (the canary), and a refused import
/// registers nothing and leaves no half-built image behind.
/// </summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class MaliciousImageTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-evil-").FullName;
    private readonly StateRoot _root;
    private readonly Canary _canary = new();

    public MaliciousImageTests()
    {
        Require.Root(); // extraction chowns every entry to its image owner
        _root = new StateRoot(Path.Combine(_work, "root"));
    }

    [Fact]
    public void Parent_traversal_is_refused() =>
        Refused(new TarBuilder().File("../escape", "x").File("a/../../escape2", "x"), "'..'");

    [Fact]
    public void Absolute_names_are_refused() =>
        Refused(new TarBuilder().File(_canary.Path("victim").TrimStart('\0'), "pwned"), "absolute");

    [Fact]
    public void A_file_written_through_a_symlinked_parent_is_refused() =>
        Refused(new TarBuilder().Symlink("link", _canary.Dir).File("link/victim", "pwned"), "symlink");

    [Fact]
    public void A_symlinked_parent_from_a_lower_layer_is_refused()
    {
        var lower = new TarBuilder().Symlink("etc", _canary.Dir);
        var upper = new TarBuilder().File("etc/victim", "pwned");
        Refused([lower.Build(), upper.Build()], "symlink");
    }

    [Fact]
    public void Hard_links_out_of_the_rootfs_are_refused()
    {
        Refused(new TarBuilder().HardLink("h", _canary.Path("victim")), "absolute");
        Refused(new TarBuilder().HardLink("h", "../../../../../../etc/passwd"), "'..'");
    }

    [Fact]
    public void A_hard_link_to_a_symlink_pointing_out_is_refused() =>
        Refused(new TarBuilder().Symlink("s", _canary.Path("victim")).HardLink("h", "s"), "not a regular file");

    [Fact]
    public void Device_nodes_and_fifos_are_dropped_and_reported()
    {
        var result = Import(new TarBuilder().CharDevice("evil-mem", 1, 1).CharDevice("usr/kmsg", 1, 11).Fifo("pipe").File("ok", "fine"));
        Assert.Equal(3, result.Report.DroppedSpecialFileCount);
        Assert.Contains("/evil-mem", result.Report.DroppedSpecialFiles);
        string rootfs = Rootfs(result);
        Assert.False(Path.Exists(Path.Combine(rootfs, "evil-mem")));
        Assert.False(Path.Exists(Path.Combine(rootfs, "pipe")));
        Assert.True(File.Exists(Path.Combine(rootfs, "ok")));
    }

    [Fact]
    public void Setuid_and_setgid_bits_are_stripped_and_reported()
    {
        var result = Import(new TarBuilder().File("bin/su", "#!", (UnixFileMode)0b110_111_101_101).File("bin/wall", "#!", (UnixFileMode)0b010_111_101_101));
        Assert.Equal(2, result.Report.StrippedSetidCount);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(Rootfs(result), "bin", "su")));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(Rootfs(result), "bin", "wall")));
    }

    [Fact]
    public void A_trusted_import_keeps_setuid_and_the_other_trust_level_cannot_reuse_its_rootfs()
    {
        string layout = Path.Combine(_work, "suid-layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("bin/su", "#!", (UnixFileMode)0b100_111_101_101).Build()]);
        var result = ImageImporter.Import(_root, layout, "suid:1", trusted: true);
        Assert.Equal(["/bin/su"], result.Report.KeptSetid);
        Assert.True(result.Report.Trusted);
        Assert.Equal((UnixFileMode)0b100_111_101_101, File.GetUnixFileMode(Path.Combine(Rootfs(result), "bin", "su")));
        var e = Assert.Throws<SandboxException>(() => ImageImporter.Import(_root, layout, "suid:2"));
        Assert.Contains("already imported as trusted", e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
    }

    [Theory]
    [InlineData(65536, 0)]
    [InlineData(0, 65536)]
    [InlineData(2_000_000_000, 2_000_000_000)]
    public void An_owner_beyond_the_sandbox_id_range_is_refused_naming_the_file(int uid, int gid) =>
        Refused(new TarBuilder().File("ok", "x").File("opt/big", "x", uid: uid, gid: gid), $"entry '/opt/big' is owned by {uid}:{gid}");

    [Fact]
    public void A_symlink_owned_beyond_the_range_is_refused() =>
        Refused(new TarBuilder().Add(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "l") { LinkName = "x", Uid = 70000 }),
            "0-65535");

    [Fact]
    public void A_whiteout_through_a_symlink_is_refused()
    {
        var lower = new TarBuilder().Symlink("d", _canary.Dir);
        var upper = new TarBuilder().File("d/.wh.victim");
        Refused([lower.Build(), upper.Build()], "symlink");
    }

    [Fact]
    public void An_opaque_marker_under_a_symlink_is_refused()
    {
        var lower = new TarBuilder().Symlink("d", _canary.Dir);
        var upper = new TarBuilder().File("d/.wh..wh..opq");
        Refused([lower.Build(), upper.Build()], "symlink");
    }

    [Fact]
    public void Image_supplied_dev_proc_and_sys_are_ignored_for_fresh_empty_mount_points()
    {
        var result = Import(new TarBuilder().Symlink("dev", "/").Symlink("proc", _canary.Dir)
            .Dir("sys").Symlink("sys/kernel", "/sys/kernel").Symlink("tmp", _canary.Dir).File("ok", "fine"));
        string rootfs = Rootfs(result);
        foreach (string mount in new[] { "dev", "proc", "sys", "tmp" })
        {
            var info = new DirectoryInfo(Path.Combine(rootfs, mount));
            Assert.True(info.Exists && info.LinkTarget is null, $"/{mount} must be a real directory");
            Assert.Empty(info.EnumerateFileSystemInfos());
        }

        Assert.Equal(4, result.Report.IgnoredEntries);
    }

    [Fact]
    public void A_regular_file_replaces_a_lower_symlink_instead_of_writing_through_it()
    {
        var lower = new TarBuilder().Symlink("victim", _canary.Path("victim"));
        var upper = new TarBuilder().File("victim", "layer content");
        var result = Import([lower.Build(), upper.Build()]);
        string file = Path.Combine(Rootfs(result), "victim");
        Assert.Null(new FileInfo(file).LinkTarget);
        Assert.Equal("layer content", File.ReadAllText(file));
    }

    [Fact]
    public void A_blob_whose_content_does_not_match_its_digest_is_refused()
    {
        string layout = Path.Combine(_work, "layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("a", "x").Build()]);
        string blob = Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")).First(f => new FileInfo(f).Length > 1000);
        File.WriteAllBytes(blob, new TarBuilder().File("a", "tampered").Build());
        AssertRefused(() => ImageImporter.Import(_root, layout, "evil:1"), "digest mismatch");
    }

    [Fact]
    public void A_layout_blob_that_is_a_symlink_to_a_host_file_is_refused()
    {
        string layout = Path.Combine(_work, "layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("a", "x").Build()]);
        string blob = Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")).First(f => new FileInfo(f).Length > 1000);
        File.Delete(blob);
        File.CreateSymbolicLink(blob, _canary.Path("victim"));
        AssertRefused(() => ImageImporter.Import(_root, layout, "evil:1"), "symlink");
    }

    [Fact]
    public void A_truncated_archive_is_refused()
    {
        string layout = Path.Combine(_work, "layout");
        OciLayoutWriter.Write(layout, [new TarBuilder().File("a", new string('x', 20000)).Build()]);
        string archive = Path.Combine(_work, "image.oci.tar");
        System.Formats.Tar.TarFile.CreateFromDirectory(layout, archive, includeBaseDirectory: false);
        using (var f = new FileStream(archive, FileMode.Open))
        {
            f.SetLength(f.Length / 2);
        }

        AssertRefused(() => ImageImporter.Import(_root, archive, "evil:1"), archive);
    }

    [Fact]
    public void A_gzip_bomb_fails_fast_with_a_clear_error()
    {
        byte[] bomb = new TarBuilder().ZeroFile("zeros", 256L << 20).BuildGzip();
        Assert.True(bomb.Length < 1 << 20, $"the bomb is {bomb.Length} bytes");
        var clock = Stopwatch.StartNew();
        Refused([bomb], "budget");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.False(Directory.EnumerateFiles(_root.Path, "zeros", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void Many_small_entries_past_the_budget_are_refused()
    {
        var tar = new TarBuilder();
        for (int i = 0; i < 40; i++)
        {
            tar.ZeroFile($"f{i}", 1 << 20);
        }

        var limits = ExtractionLimits.Default with { RatioFloorBytes = 8 << 20 };
        string layout = Path.Combine(_work, "layout");
        OciLayoutWriter.Write(layout, [tar.BuildGzip()]);
        AssertRefused(() => ImageImporter.Import(_root, layout, "evil:1", limits), "budget");
    }

    [Fact]
    public void Overlong_names_are_refused() => Refused(new TarBuilder().File(new string('n', 300), "x"), "longer than 255");

    [Fact]
    public void Overlong_paths_are_refused() =>
        Refused(new TarBuilder().File(string.Join('/', Enumerable.Repeat(new string('p', 200), 25)), "x"), "longer than 4096");

    [Fact]
    public void Deep_paths_are_refused() =>
        Refused(new TarBuilder().File(string.Join('/', Enumerable.Repeat("d", 200)) + "/f", "x"), "deeper than");

    [Fact]
    public void Too_many_entries_are_refused()
    {
        var tar = new TarBuilder();
        for (int i = 0; i < 20; i++)
        {
            tar.File($"f{i}");
        }

        string layout = Path.Combine(_work, "layout");
        OciLayoutWriter.Write(layout, [tar.Build()]);
        AssertRefused(() => ImageImporter.Import(_root, layout, "evil:1", ExtractionLimits.Default with { MaxEntries = 10 }), "more than 10 entries");
    }

    public void Dispose()
    {
        _canary.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public void A_file_name_that_is_not_utf8_is_refused_never_renamed()
    {
        // .NET's tar reader would hand "\uFFFD\uFFFD" for these bytes: writing that would change the name.
        byte[] layer = TarBuilder.WithRawName(
            new TarBuilder().Add(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "name-XX")).Build(),
            "XX", [0xff, 0xfe]);
        Refused([layer], "entry 'name-\uFFFD\uFFFD' is not valid UTF-8");
    }

    private ImportResult Import(TarBuilder layer) => Import([layer.Build()]);

    private ImportResult Import(IReadOnlyList<byte[]> layers)
    {
        string layout = Path.Combine(_work, $"layout-{Guid.NewGuid():N}");
        OciLayoutWriter.Write(layout, layers);
        var result = ImageImporter.Import(_root, layout, "neutralized:1");
        _canary.AssertUnchanged();
        return result;
    }

    private string Rootfs(ImportResult result) => Path.Combine(_root.Images, "sha256-" + result.Digest[7..], "rootfs");

    private void Refused(TarBuilder layer, string expected) => Refused([layer.Build()], expected);

    private void Refused(IReadOnlyList<byte[]> layers, string expected)
    {
        string layout = Path.Combine(_work, $"layout-{Guid.NewGuid():N}");
        OciLayoutWriter.Write(layout, layers);
        AssertRefused(() => ImageImporter.Import(_root, layout, "evil:1"), expected);
    }

    private void AssertRefused(Action import, string expected)
    {
        var e = Assert.Throws<SandboxException>(import);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
        _canary.AssertUnchanged();
        Assert.Empty(ImageStore.List(_root));
        if (Directory.Exists(_root.Images)) // a source refused before the store is touched leaves no store at all
        {
            Assert.Empty(Directory.EnumerateDirectories(_root.Images, ".tmp-image-*"));
            Assert.Empty(Directory.EnumerateDirectories(_root.Images, "sha256-*"));
        }
    }
}
