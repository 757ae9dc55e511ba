using System.Formats.Tar;
using Sandbox.Analysis;

namespace Sandbox.Tests.Unit.Analysis;

/// <summary>The collector's tar as the host reads it: an empty file is there, and says "nothing", not "no file".</summary>
public sealed class CollectorArchiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("collector-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void An_empty_seccomp_file_is_a_log_with_no_refusal()
    {
        var c = Read(("seccomp", ""), ("trace", "t\n"));
        Assert.Equal("", c.Seccomp);
        var denials = Denials.From(c.Seccomp, new HashSet<int> { 1 });
        Assert.True(denials.Collected);
        Assert.Empty(denials.Syscalls);
    }

    [Fact]
    public void No_seccomp_file_is_a_log_that_could_not_be_read() =>
        Assert.False(Denials.From(Read(("trace", "t\n")).Seccomp, new HashSet<int>()).Collected);

    [Fact]
    public void An_empty_sinkhole_file_is_a_sinkhole_that_recorded_nothing() =>
        Assert.Equal("", Read(("sinkhole", "")).Sinkhole);

    private CollectorArchive Read(params (string Name, string Text)[] files)
    {
        string tar = Path.Combine(_dir, "report.tar");
        using (var stream = File.Create(tar))
        using (var writer = new TarWriter(stream, TarEntryFormat.Ustar))
        {
            writer.WriteEntry(new UstarTarEntry(TarEntryType.Directory, "./"));
            foreach (var (name, text) in files)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, "./" + name);
                if (text.Length > 0)
                {
                    entry.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
                }

                writer.WriteEntry(entry);
            }
        }

        string image = Directory.CreateDirectory(Path.Combine(_dir, "image")).FullName;
        string dropped = Directory.CreateDirectory(Path.Combine(_dir, "dropped")).FullName;
        return CollectorArchive.Read(tar, image, dropped, new HashSet<string>());
    }
}
