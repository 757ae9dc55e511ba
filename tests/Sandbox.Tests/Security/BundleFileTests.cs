using System.Diagnostics;
using Sandbox.Backends.Container;
using Sandbox.Host.Files;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// Files the root launcher reads back from a bundle or a jail (the runtime's log; once the VMM's
/// console log) may have been replaced by whoever could write there. Each attack plants one and
/// asserts the launcher neither follows it to a host file, nor hangs on it, nor reads it unbounded.
/// </summary>
public sealed class BundleFileTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("sandbox-bundle-").FullName;
    private readonly Canary _canary = new();

    private string Log => Path.Combine(_bundle, "runtime.log");

    [Fact]
    public void A_log_replaced_by_a_symlink_to_a_host_file_is_not_followed()
    {
        File.CreateSymbolicLink(Log, _canary.Path("sub/secret"));
        string? error = RuntimeLog.FirstError(Log, Owner());
        Assert.DoesNotContain("secret", error?.Replace(_canary.Dir, "", StringComparison.Ordinal) ?? "", StringComparison.Ordinal);
        Assert.Contains("is a symbolic link", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_replaced_by_a_fifo_does_not_hang_the_launcher()
    {
        Tool.Run("mkfifo", Log);
        var clock = Stopwatch.StartNew();
        var read = Task.Run(() => RuntimeLog.FirstError(Log, Owner()), TestContext.Current.CancellationToken);
        string? error = await read.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken); // a hang fails here
        Assert.Contains("is not a regular file", error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_log_owned_by_someone_else_is_not_read()
    {
        Require.Root();
        File.WriteAllText(Log, "{\"level\":\"error\",\"msg\":\"planted\"}\n");
        File.SetUnixFileMode(Log, (UnixFileMode)0b110_100_100);
        Tool.Run("chown", "65534:65534", Log);
        string? error = RuntimeLog.FirstError(Log, 0);
        Assert.DoesNotContain("planted", error, StringComparison.Ordinal);
        Assert.Contains("owned by uid 65534", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_log_is_read_only_up_to_its_bound()
    {
        using (var f = new FileStream(Log, FileMode.CreateNew))
        {
            f.SetLength(4L << 30); // sparse: 4 GiB of NULs, then an error no bounded reader reaches
            f.Seek(0, SeekOrigin.End);
            f.Write("\n{\"level\":\"error\",\"msg\":\"far away\"}\n"u8);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        string? error = RuntimeLog.FirstError(Log, Owner());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotEqual("far away", error);
        Assert.True(allocated < 4L << 20, $"reading the log allocated {allocated} bytes");
    }

    [Fact]
    public void A_tail_read_returns_the_last_bytes()
    {
        File.WriteAllText(Log, new string('a', 100) + "the end");
        var tail = BundleFile.Read(Log, Owner(), 7, tail: true);
        Assert.Null(tail.Refused);
        Assert.Equal("the end"u8.ToArray(), tail.Content);
    }

    private static uint Owner() => (uint)Tmds.Linux.LibC.geteuid();

    public void Dispose()
    {
        Directory.Delete(_bundle, recursive: true);
        _canary.Dispose();
    }
}
