using System.Formats.Tar;
using System.Text.Json;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Functional;

/// <summary>`sandbox image import|ls|inspect|rm` on images made by real tools (umoci, skopeo), black-box through bin/sandbox.</summary>
// Disk-heavy: run alone, so host-wide measurements in other tests (free space, timing) see only their own work.
[Collection(SerialTests.Name)]
public sealed class ImageImportTests : IDisposable
{
    private readonly SandboxCli _cli = new();

    [Fact]
    public void Imports_every_format_real_tools_produce()
    {
        string dir = RealImages.Dir;
        Ok(_cli.Run("image", "import", RealImages.DockerArchive));
        Ok(_cli.Run("image", "import", RealImages.OciArchive, "--name", "app:oci"));
        Ok(_cli.Run("image", "import", RealImages.Layout, "--name", "app:layout"));
        Ok(_cli.Run("image", "import", RealImages.ZstdLayout, "--name", "app:zstd"));
        Ok(_cli.Run("image", "import", RealImages.Rootfs, "--name", "tools"));
        Assert.True(Directory.Exists(dir));

        var ls = Ok(_cli.Run("--json", "image", "ls"));
        using var doc = JsonDocument.Parse(ls.Stdout);
        var names = doc.RootElement.EnumerateArray().SelectMany(i => i.GetProperty("names").EnumerateArray().Select(n => n.GetString())).ToHashSet();
        Assert.Equal(new HashSet<string?> { "app:1", "app:oci", "app:layout", "app:zstd", "tools:latest" }, names);
        // oci-archive and oci layout of the same image are one image: same manifest digest, one rootfs.
        Assert.Equal(4, doc.RootElement.GetArrayLength());

        var table = Ok(_cli.Run("image", "ls"));
        Assert.Contains("app:oci", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_shows_the_config_the_run_honours_and_the_import_report()
    {
        _ = RealImages.Dir;
        Ok(_cli.Run("image", "import", RealImages.DockerArchive));
        var inspect = Ok(_cli.Run("image", "inspect", "app:1", "--json"));
        using var doc = JsonDocument.Parse(inspect.Stdout);
        var details = doc.RootElement.GetProperty("details");
        Assert.Equal("1000", details.GetProperty("user").GetString());
        Assert.Equal("/app", details.GetProperty("workingDir").GetString());
        Assert.Equal("sec", details.GetProperty("labels").GetProperty("org.example.team").GetString());
        Assert.Equal("/app/run", details.GetProperty("cmd")[0].GetString());
        Assert.True(details.GetProperty("report").GetProperty("entries").GetInt64() > 5);
    }

    [Fact]
    public void Rm_removes_the_image_and_collects_its_blobs()
    {
        _ = RealImages.Dir;
        Ok(_cli.Run("image", "import", RealImages.DockerArchive));
        string blobs = Path.Combine(_cli.StateRoot, "images", "store", "blobs", "sha256");
        Assert.NotEmpty(Directory.EnumerateFiles(blobs));
        var rm = Ok(_cli.Run("image", "rm", "app:1"));
        Assert.Contains("deleted sha256:", rm.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(blobs));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_cli.StateRoot, "images"), "sha256-*"));
        var again = _cli.Run("image", "rm", "app:1");
        Assert.Equal(125, again.ExitCode);
        Assert.Contains("image 'app:1' not found", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_multi_image_docker_archive_needs_a_name_and_lists_the_choices()
    {
        string archive = MultiImageArchive();
        var refused = _cli.Run("image", "import", archive);
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("holds 2 images", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("other:2", refused.Stderr, StringComparison.Ordinal);
        Ok(_cli.Run("image", "import", archive, "--name", "other:2"));
        Assert.Contains("other:2", Ok(_cli.Run("image", "ls")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_podman_multi_image_archive_imports_each_image_by_name()
    {
        string archive = RealImages.PodmanMultiArchive;
        var refused = _cli.Run("image", "import", archive);
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("holds 2 images", refused.Stderr, StringComparison.Ordinal);
        Ok(_cli.Run("image", "import", archive, "--name", "app:1"));
        Ok(_cli.Run("image", "import", archive, "--name", "localhost/other:2"));
        string ls = Ok(_cli.Run("image", "ls")).Stdout;
        Assert.Contains("app:1", ls, StringComparison.Ordinal);
        Assert.Contains("other:2", ls, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_rootfs_tar_imports_with_a_made_up_config()
    {
        _ = RealImages.Dir;
        string tar = Path.Combine(_cli.StateRoot, "rootfs.tar.gz");
        using (var file = File.Create(tar))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
        {
            TarFile.CreateFromDirectory(RealImages.Rootfs, gzip, includeBaseDirectory: false);
        }

        var imported = Ok(_cli.Run("image", "import", tar, "--name", "tools:tar"));
        Assert.Contains("rootfs-tar", imported.Stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(Ok(_cli.Run("image", "inspect", "tools:tar")).Stdout);
        Assert.Equal("sh", doc.RootElement.GetProperty("details").GetProperty("cmd")[0].GetString());
    }

    [Fact]
    public void A_plain_rootfs_needs_a_name_and_a_missing_path_is_named()
    {
        _ = RealImages.Dir;
        var noName = _cli.Run("image", "import", RealImages.Rootfs);
        Assert.Equal(125, noName.ExitCode);
        Assert.Contains("--name", noName.Stderr, StringComparison.Ordinal);
        var missing = _cli.Run("image", "import", "/nonexistent/image.tar");
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains("/nonexistent/image.tar", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Concurrent_imports_all_register()
    {
        _ = RealImages.Dir;
        var runs = new[] { (RealImages.DockerArchive, "c:1"), (RealImages.OciArchive, "c:2"), (RealImages.Layout, "c:3"), (RealImages.Rootfs, "c:4") }
            .Select(p => _cli.Start(["image", "import", p.Item1, "--name", p.Item2])).ToList();
        foreach (var process in runs)
        {
            Ok(SandboxCli.Wait(process, TimeSpan.FromMinutes(1)));
        }

        string ls = Ok(_cli.Run("image", "ls")).Stdout;
        Assert.All(new[] { "c:1", "c:2", "c:3", "c:4" }, n => Assert.Contains(n, ls, StringComparison.Ordinal));
    }

    public void Dispose() => _cli.Dispose();

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    /// <summary>The skopeo docker-archive with a second manifest.json entry (same content, another tag), as `docker save a b` writes.</summary>
    private string MultiImageArchive()
    {
        string source = RealImages.DockerArchive;
        string target = Path.Combine(_cli.StateRoot, "multi.tar");
        using (var input = File.OpenRead(source))
        using (var reader = new TarReader(input))
        using (var output = File.Create(target))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name.TrimStart('.', '/') == "manifest.json")
                {
                    var list = JsonDocument.Parse(entry.DataStream!).RootElement[0];
                    string one = list.GetRawText();
                    string two = one.Replace("app:1", "other:2", StringComparison.Ordinal);
                    var copy = new PaxTarEntry(TarEntryType.RegularFile, entry.Name)
                    {
                        DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"[{one},{two}]")),
                    };
                    writer.WriteEntry(copy);
                    continue;
                }

                writer.WriteEntry(entry);
            }
        }

        return target;
    }
}
