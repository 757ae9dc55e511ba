using System.Text;
using Sandbox.Lifecycle;

namespace Sandbox.Tests.Unit.Lifecycle;

public sealed class JsonFileLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("jsonlog-").FullName;

    private string LogPath => Path.Combine(_dir, "container.log");

    [Fact]
    public void Records_keep_stream_time_and_exact_bytes_in_order()
    {
        byte[] notText = [0xff, 0x00, 0x0a, 0xc3];
        using (var log = new JsonFileLog(LogPath, JsonFileLog.DefaultMaxBytes))
        {
            log.Stream("stdout").Write("out\n"u8);
            log.Stream("stderr").Write(notText);
        }

        var records = JsonFileLog.Read(LogPath).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(("stdout", "out\n"), (records[0].Stream, Encoding.UTF8.GetString(records[0].Bytes)));
        Assert.Equal("stderr", records[1].Stream);
        Assert.Equal(notText, records[1].Bytes);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$", records[0].Time);
        Assert.StartsWith("{\"stream\":\"stdout\",\"time\":\"", File.ReadLines(LogPath).First(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_log_and_its_rotated_file_stay_within_the_cap_and_keep_the_newest()
    {
        const long Cap = 16 << 10;
        using (var log = new JsonFileLog(LogPath, Cap))
        {
            for (int i = 0; i < 2000; i++)
            {
                log.Append("stdout", Encoding.ASCII.GetBytes($"line {i}\n"), DateTime.UtcNow);
            }
        }

        long size = new FileInfo(LogPath).Length + new FileInfo(LogPath + ".1").Length;
        Assert.InRange(size, Cap / 2, Cap);
        var kept = JsonFileLog.Read(LogPath).Select(r => Encoding.ASCII.GetString(r.Bytes)).ToList();
        Assert.Equal("line 1999\n", kept[^1]);
        Assert.DoesNotContain("line 0\n", kept);
        Assert.Equal(kept.OrderBy(l => int.Parse(l[5..^1], System.Globalization.CultureInfo.InvariantCulture)), kept); // oldest first, across the rotation
    }

    [Fact]
    public void One_write_larger_than_the_cap_is_split_into_records_and_the_cap_still_holds()
    {
        const long Cap = 16 << 10;
        byte[] burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"{i:D5}\n"))); // 24000 bytes, one pipe read's worth
        using (var log = new JsonFileLog(LogPath, Cap))
        {
            log.Append("stdout", burst, DateTime.UtcNow);
        }

        long size = new FileInfo(LogPath).Length + new FileInfo(LogPath + ".1").Length;
        Assert.InRange(size, 1, Cap);
        string kept = string.Concat(JsonFileLog.Read(LogPath).Select(r => Encoding.ASCII.GetString(r.Bytes)));
        Assert.EndsWith("03999\n", kept, StringComparison.Ordinal); // the newest output, whole
        Assert.True(Encoding.ASCII.GetString(burst).EndsWith(kept, StringComparison.Ordinal), "what is kept is the burst's tail, in order");
    }

    [Fact]
    public void A_line_cut_short_by_a_killed_writer_is_skipped_not_fatal()
    {
        using (var log = new JsonFileLog(LogPath, JsonFileLog.DefaultMaxBytes))
        {
            log.Append("stdout", "whole\n"u8, DateTime.UtcNow);
        }

        File.AppendAllText(LogPath, "{\"stream\":\"stdout\",\"ti");
        Assert.Equal("whole\n", Encoding.UTF8.GetString(Assert.Single(JsonFileLog.Read(LogPath)).Bytes));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
