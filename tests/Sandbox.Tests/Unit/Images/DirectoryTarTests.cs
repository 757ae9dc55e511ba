using System.Formats.Tar;
using Sandbox.Images.Extraction;

namespace Sandbox.Tests.Unit.Images;

/// <summary>The walk that tars a path image: deterministic bytes (one stored image per unchanged tree), links stored, never followed.</summary>
public sealed class DirectoryTarTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-dirtar-").FullName;

    [Fact]
    public void An_unchanged_tree_tars_to_the_same_bytes_with_links_kept_as_links()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "bin"));
        File.WriteAllText(Path.Combine(_dir, "bin", "tool"), "#!/bin/sh\n");
        File.CreateSymbolicLink(Path.Combine(_dir, "etc"), "/etc");
        Directory.CreateDirectory(Path.Combine(_dir, "proc", "1")); // not descended: the sandbox mounts a fresh /proc

        byte[] first = Tar();
        Thread.Sleep(1100); // a second later: times that are "now" would differ
        byte[] second = Tar();
        Assert.Equal(first, second);
        Assert.Equal("bin/", System.Text.Encoding.ASCII.GetString(first, 0, 4)); // GNU headers: no PAX header naming this process

        using var reader = new TarReader(new MemoryStream(first));
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry() is { } e)
        {
            entries.Add(e);
        }

        Assert.Equal(["bin/", "bin/tool", "etc", "proc/"], entries.Select(e => e.Name));
        Assert.Equal("/etc", entries.Single(e => e.Name == "etc").LinkName);
        Assert.Equal(TarEntryType.SymbolicLink, entries.Single(e => e.Name == "etc").EntryType);
    }

    private byte[] Tar()
    {
        using var output = new MemoryStream();
        using (var dir = DirFd.OpenHost(_dir))
        {
            DirectoryTar.Write(dir, output, ExtractionLimits.Default, TestContext.Current.CancellationToken);
        }

        return output.ToArray();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
