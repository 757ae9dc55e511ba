using System.Security.Cryptography;
using Sandbox.Host.Files;

namespace Sandbox.Backends.MicroVm.Initramfs;

/// <summary>What the initramfs key and the runtime's library walk need from one host file.</summary>
public sealed record FileFacts(string Sha256, ElfLinkage? Linkage);

/// <summary>
/// Digests (and ELF linkage) of the host files the initramfs carries, and of kernels and templates,
/// cached by path and <see cref="FileIdentity"/> (<see cref="IdentityCache{T}"/>), so a run stats
/// crun and its libraries instead of reading and hashing ~6 MB to find its cached archive.
/// </summary>
public sealed class FileFactsCache
{
    /// <summary>Files modified more recently than this are not cached (timestamp granularity).</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    private readonly IdentityCache<FileFacts> _cache;

    /// <param name="path">The cache file, or null for no persistence (every file is read).</param>
    /// <param name="settle">How old a file's last change must be for it to be cached (default <see cref="SettleTime"/>).</param>
    public FileFactsCache(string? path, TimeSpan? settle = null) => _cache = new(path, Codec.Instance, settle ?? SettleTime);

    /// <summary>Reads performed by <see cref="Facts"/> (misses): what a warm cache saves.</summary>
    public int Reads => _cache.Misses;

    /// <summary>The file's digest and (for <paramref name="elf"/>) its interpreter and DT_NEEDED list.</summary>
    public FileFacts Facts(string path, bool elf) => _cache.Get(path, p =>
    {
        byte[] content = File.ReadAllBytes(p);
        return new FileFacts(Convert.ToHexStringLower(SHA256.HashData(content)), elf ? ElfDependencies.Read(content, p) : null);
    }, usable: hit => hit.Linkage is not null || !elf);

    /// <summary>Writes the cache if anything was added.</summary>
    public void Save() => _cache.Save();

    /// <summary>One line per file: path, identity, sha256, interpreter (- if none), needed (comma-separated, - if not ELF). Pure.</summary>
    public static string Format(IEnumerable<(string Path, FileIdentity Identity, FileFacts Facts)> entries) =>
        IdentityCacheText.Format(Codec.Instance, entries);

    /// <summary>The well-formed lines of a cache file. Pure.</summary>
    public static IEnumerable<(string Path, FileIdentity Identity, FileFacts Facts)> Parse(string text) =>
        IdentityCacheText.Parse(Codec.Instance, text);

    private sealed class Codec : IIdentityCacheCodec<FileFacts>
    {
        public static readonly Codec Instance = new();

        public string Header => "sandbox-file-facts-1";

        public string Format(FileFacts facts) =>
            $"{facts.Sha256}\t{facts.Linkage?.Interpreter ?? "-"}\t{(facts.Linkage is { } l ? string.Join(',', l.Needed) : "-")}";

        public FileFacts? Parse(string[] f) =>
            f.Length == 3 && f[0].Length == 64 && f[0].All(char.IsAsciiHexDigitLower)
                ? new FileFacts(f[0], f[2] == "-" ? null : new ElfLinkage(f[1] == "-" ? null : f[1], f[2].Length == 0 ? [] : f[2].Split(',')))
                : null;
    }
}
