using System.Runtime.InteropServices;
using Sandbox.Images;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Security;

/// <summary>
/// A directory given as the image goes through the import pipeline: walked from its opened descriptor
/// without following links, then safely extracted into a private copy. Attacks: /dev as a link to a
/// host directory, a setuid file for an untrusted import, and a subtree swapped for a link to a host
/// directory while it is read. Nothing outside the directory reaches the copy, and the host is unchanged.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class DirectoryImageTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sandbox-dir-image-").FullName;
    private readonly Canary _canary = new();
    private readonly StateRoot _root;

    public DirectoryImageTests()
    {
        Require.Root(); // extraction chowns every entry to its owner in the directory
        _root = new StateRoot(Path.Combine(_work, "root"));
    }

    [Fact]
    public void A_dev_symlink_to_a_host_directory_never_reaches_the_host_when_the_sandbox_writes_dev()
    {
        Require.Tool("runc");
        string rootfs = Rootfs();
        File.CreateSymbolicLink(Path.Combine(rootfs, "dev"), _canary.Dir);
        using var cli = SandboxCli.ForContainers();

        var run = cli.Run("run", "--trust", "trusted", rootfs, "--", "/bin/sh", "-c",
            "echo pwned > /dev/planted; echo pwned > /dev/victim; /bin/busybox ls /dev/sub /dev/victim 2>&1; true");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("secret", run.Stdout, StringComparison.Ordinal); // the canary's sub/secret is not visible
        _canary.AssertUnchanged();
        Assert.False(File.Exists(_canary.Path("planted")));
    }

    [Fact]
    public void An_untrusted_directory_import_strips_setuid_and_makes_dev_a_fresh_directory()
    {
        string rootfs = Rootfs();
        string suid = Path.Combine(rootfs, "bin", "suid-tool");
        File.Copy("/bin/busybox", suid);
        File.SetUnixFileMode(suid, (UnixFileMode)0b110_111_101_101); // setuid + setgid, 0755
        File.CreateSymbolicLink(Path.Combine(rootfs, "dev"), _canary.Dir);

        var result = ImageImporter.ImportDirectory(_root, rootfs, trusted: false, TestContext.Current.CancellationToken);
        string copy = StoredRootfs(result.Digest);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(copy, "bin", "suid-tool")));
        Assert.Contains("/bin/suid-tool", result.Report.StrippedSetid);
        Assert.Null(new DirectoryInfo(Path.Combine(copy, "dev")).LinkTarget);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(copy, "dev")));
        Assert.Equal((UnixFileMode)0b110_111_101_101, File.GetUnixFileMode(suid)); // the host directory is left as it was
        _canary.AssertUnchanged();
    }

    [Fact]
    public async Task A_subtree_swapped_for_a_link_to_a_host_directory_while_it_is_read_never_copies_host_files()
    {
        string rootfs = Rootfs();
        string sub = Path.Combine(rootfs, "data");
        string real = Path.Combine(_work, "real-data");
        Directory.CreateDirectory(real);
        for (int i = 0; i < 200; i++)
        {
            File.WriteAllText(Path.Combine(real, $"f{i:000}"), "own\n");
        }

        Directory.Move(real, sub);
        using var stop = new CancellationTokenSource();
        int swaps = 0;
        int raced = 0; // imports that saw the tree while it was being swapped
        var swapper = Task.Run(() =>
        {
            string aside = Path.Combine(_work, "aside");
            string link = Path.Combine(_work, "link");
            File.CreateSymbolicLink(link, _canary.Dir);
            while (!stop.IsCancellationRequested)
            {
                // data is a real directory, then (atomically) a link to the canary, then the directory again
                Rename(sub, aside);
                Rename(link, sub);
                Rename(sub, link);
                Rename(aside, sub);
                swaps++;
            }
        }, TestContext.Current.CancellationToken);

        try
        {
            for (int i = 0; i < 15; i++)
            {
                ImportResult result;
                try
                {
                    result = ImageImporter.ImportDirectory(_root, rootfs, trusted: false, TestContext.Current.CancellationToken);
                }
                catch (SandboxException e) when (e.Message.Contains("could not be read", StringComparison.Ordinal))
                {
                    raced++; // "changed while it was read" is a fine outcome too
                    continue;
                }

                string copy = StoredRootfs(result.Digest);
                // Never through a link: the copy may hold data as the link it was, which points at the canary on the host.
                var files = Directory.EnumerateFiles(copy, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).ToList();
                Assert.DoesNotContain(files, f => Path.GetFileName(f) is "victim" or "secret");
                string data = Path.Combine(copy, "data");
                if (new FileInfo(data).LinkTarget is { } target)
                {
                    Assert.Equal(_canary.Dir, target); // stored as the link it was, never followed
                    raced++;
                }
                else if (Directory.Exists(data) && Directory.EnumerateFiles(data).Count() < 200)
                {
                    raced++; // caught mid-swap: part of the directory, and nothing else
                }
            }
        }
        finally
        {
            stop.Cancel();
            await swapper;
        }

        Assert.True(swaps > 0 && raced > 0, $"the race was not hit ({swaps} swaps, {raced} imports saw one)");
        _canary.AssertUnchanged();
    }

    // File.Move would check the source by following the link (to a directory) and refuse.
    private static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
        {
            throw new IOException($"rename {from} {to}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int rename(string oldpath, string newpath);

    private string Rootfs()
    {
        string rootfs = Path.Combine(_work, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "sh"), "busybox");
        File.SetUnixFileMode(rootfs, (UnixFileMode)0b111_101_101);
        return rootfs;
    }

    private string StoredRootfs(string digest) => Path.Combine(_root.Images, "sha256-" + digest["sha256:".Length..], "rootfs");

    public void Dispose()
    {
        _canary.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
