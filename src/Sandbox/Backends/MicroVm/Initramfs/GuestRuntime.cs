using System.Text;
using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Initramfs;

/// <summary>One file the initramfs carries at <paramref name="GuestPath"/> (relative, no leading slash).</summary>
public sealed record GuestFile(string GuestPath, byte[] Content, uint Mode = 0x1ED /* 0755 */);

/// <summary>Where a guest file comes from on the host and the digest of its content.</summary>
public sealed record GuestFileSource(string GuestPath, string HostPath, string Sha256);

/// <summary>
/// The OCI runtime that applies the workload's hardening inside the guest: the host's own crun
/// (Debian's package, the same engine the container backend prefers) with every shared library it
/// loads, found by walking DT_NEEDED from the binary. One hardening, two kernels: the guest runs the
/// same config.json shape as a container.
/// </summary>
public static class GuestRuntime
{
    /// <summary>Where the runtime binary is read on the host and placed in the guest.</summary>
    public const string Crun = "/usr/bin/crun";

    private static readonly string[] LibraryDirs = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"];

    /// <summary>crun and its libraries, as the guest will see them (read now, without a cache).</summary>
    public static IReadOnlyList<GuestFile> Files(string crun = Crun) => Load(Plan(new FileFactsCache(null), crun));

    /// <summary>
    /// Which host files the guest gets and their digests: crun, its ELF interpreter and the closure of
    /// its DT_NEEDED libraries. With a warm <paramref name="cache"/> this only stats the files.
    /// </summary>
    public static IReadOnlyList<GuestFileSource> Plan(FileFactsCache cache, string crun = Crun)
    {
        if (!File.Exists(crun))
        {
            throw new SandboxException(ErrorKind.HostUnsupported,
                $"the microVM's guest applies the workload's hardening with {crun}, which is missing",
                "apt-get install crun (or run make deps)");
        }

        FileFacts root = cache.Facts(crun, elf: true);
        var files = new List<GuestFileSource> { new(crun.TrimStart('/'), crun, root.Sha256) };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<ElfLinkage>();
        pending.Enqueue(root.Linkage!);
        while (pending.TryDequeue(out var linkage))
        {
            if (linkage.Interpreter is { } interp && seen.Add(interp))
            {
                // The loader's own path is fixed in every binary.
                files.Add(new GuestFileSource(interp.TrimStart('/'), interp, cache.Facts(interp, elf: false).Sha256));
            }

            foreach (string soname in linkage.Needed.Where(seen.Add))
            {
                string host = LibraryDirs.Select(d => Path.Combine(d, soname)).FirstOrDefault(File.Exists)
                    ?? throw new SandboxException(ErrorKind.HostUnsupported,
                        $"{crun} needs {soname}, which is not in {string.Join(" or ", LibraryDirs)}", "reinstall crun: apt-get install --reinstall crun");
                FileFacts lib = cache.Facts(host, elf: true); // follows the soname link to the real library
                files.Add(new GuestFileSource($"lib/x86_64-linux-gnu/{soname}", host, lib.Sha256));
                pending.Enqueue(lib.Linkage!);
            }
        }

        return files;
    }

    /// <summary>Where the guest finds the runtime's version line, which init reports in "applied".</summary>
    public const string VersionPath = "etc/runtime-version";

    /// <summary>
    /// The runtime's version line ("crun version 1.8.1"), from the very binary the guest gets, run here
    /// once per archive: guest init reads it instead of exec'ing crun on every boot (~80 ms under
    /// emulation). The archive's key holds the binary's digest, so the line always matches its bytes.
    /// </summary>
    public static async Task<GuestFile> VersionFileAsync(GuestFileSource runtime, CancellationToken ct)
    {
        CommandOutput output = await ExternalCommand.RunAsync(runtime.HostPath, ["--version"], ExternalCommand.DefaultTimeout, ct).ConfigureAwait(false);
        string line = new([.. (output.Stdout.Split('\n')[0]).Where(c => c is >= ' ' and <= '~')]);
        return output.Succeeded && line.Length > 0 ? new GuestFile(VersionPath, Encoding.ASCII.GetBytes(line + "\n"), 0x1A4 /* 0644 */)
            : throw new SandboxException(ErrorKind.EngineFailed,
                $"{runtime.HostPath} --version failed, so the guest's initramfs cannot name its runtime: {output.FirstLine()}",
                "reinstall crun: apt-get install --reinstall crun");
    }

    /// <summary>The planned files' contents, each checked against the digest the archive's key was made from.</summary>
    public static IReadOnlyList<GuestFile> Load(IReadOnlyList<GuestFileSource> plan) =>
        [.. plan.Select(f => new GuestFile(f.GuestPath, ReadVerified(f.HostPath, f.Sha256)))];

    /// <summary>The file's bytes, refused if they no longer have <paramref name="sha256"/> (changed since it was hashed).</summary>
    public static byte[] ReadVerified(string path, string sha256)
    {
        byte[] content = File.ReadAllBytes(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)) == sha256 ? content
            : throw new SandboxException(ErrorKind.EngineFailed, $"{path} changed while the guest's initramfs was being built",
                "a package upgrade was probably running; run again");
    }
}
