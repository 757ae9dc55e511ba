using System.Formats.Tar;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Support.DetachedCli;

namespace Sandbox.Tests.Security;

/// <summary>
/// `sandbox cp` never follows a symlink: links the workload planted, pointing at host files, neither
/// make cp read a host file into the copy nor write one, in either direction (container backend).
/// </summary>
[Collection(SerialTests.Name)]
public sealed class CopySymlinkTests : IDisposable
{
    private readonly SandboxCli _cli = SandboxCli.ForContainers();
    private readonly string _host = Directory.CreateTempSubdirectory("sandbox-cp-attack-").FullName;

    [Fact]
    public void Links_the_workload_planted_toward_host_files_are_copied_as_links_and_never_written_through()
    {
        string secret = Path.Combine(_host, "secret");
        File.WriteAllText(secret, "host-secret\n");
        string hostDir = Path.Combine(_host, "hostdir");
        Directory.CreateDirectory(hostDir);
        Ok(_cli.Run(["run", "-d", "--name", "evil", "--trust", "trusted", "busybox", "sh", "-c",
            $"ln -s {secret} /tmp/evil; ln -s /etc/shadow /tmp/shadow; ln -s {hostDir} /tmp/evildir; mkdir /tmp/d; ln -s {secret} /tmp/d/inner; echo ready; sleep 300"],
            stdin: null, TimeSpan.FromMinutes(1)));
        Eventually(() => _cli.Run("logs", "evil").Stdout == "ready\n", "the links planted");

        // Out: the link itself arrives, never the host file's bytes.
        string outLink = Path.Combine(_host, "out-link");
        Ok(_cli.Run("cp", "evil:/tmp/evil", outLink));
        Assert.Equal(secret, new FileInfo(outLink).LinkTarget);
        Ok(_cli.Run("cp", "evil:/tmp/shadow", Path.Combine(_host, "out-shadow")));
        Assert.Equal("/etc/shadow", new FileInfo(Path.Combine(_host, "out-shadow")).LinkTarget);
        var (exit, tar, stderr) = RunBytes(_cli, ["cp", "evil:/tmp/d", "-"], null);
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("host-secret", System.Text.Encoding.ASCII.GetString(tar), StringComparison.Ordinal);
        using (var reader = new TarReader(new MemoryStream(tar)))
        {
            var entries = new List<TarEntry>();
            while (reader.GetNextEntry() is { } e)
            {
                entries.Add(e);
            }

            var inner = Assert.Single(entries, e => e.Name == "d/inner");
            Assert.Equal((TarEntryType.SymbolicLink, secret), (inner.EntryType, inner.LinkName));
        }

        // In: a file copied onto the link replaces the link in the sandbox; the host file is untouched.
        string payload = Path.Combine(_host, "payload");
        File.WriteAllText(payload, "attacker-controlled\n");
        Ok(_cli.Run("cp", payload, "evil:/tmp/evil"));
        Assert.Equal("host-secret\n", File.ReadAllText(secret));
        Assert.Equal("attacker-controlled\n", Ok(_cli.Run("exec", "evil", "sh", "-c", "test -L /tmp/evil || cat /tmp/evil")).Stdout);

        // In through a linked directory: refused, naming the link; nothing lands in the host directory.
        var through = _cli.Run("cp", payload, "evil:/tmp/evildir/planted");
        Assert.Equal(125, through.ExitCode);
        Assert.Contains("/tmp/evildir is a symlink in the sandbox; cp never follows links", through.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(hostDir));

        // A tar stream whose entries go through a link it made itself never leaves the sandbox either.
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "hop") { LinkName = hostDir });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "hop/escaped") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }

        (exit, _, stderr) = RunBytes(_cli, ["cp", "-", "evil:/tmp"], stream.ToArray());
        Assert.Equal(125, exit);
        Assert.Contains("hop", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(hostDir));
        Assert.Equal("host-secret\n", File.ReadAllText(secret));
    }

    public void Dispose()
    {
        RemoveAll(_cli);
        _cli.Dispose();
        Directory.Delete(_host, recursive: true);
    }
}
