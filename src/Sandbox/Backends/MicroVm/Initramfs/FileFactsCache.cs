using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Backends.MicroVm.Initramfs;

/// <summary>What the initramfs key and the runtime's library walk need from one host file.</summary>
public sealed record FileFacts(string Sha256, ElfLinkage? Linkage);

/// <summary>
/// Digests (and ELF linkage) of the host files the initramfs carries, cached by path and
/// <see cref="FileIdentity"/>, so a run stats crun and its libraries instead of reading and hashing
/// ~6 MB to find its cached archive. A file is hashed again whenever its identity differs; a file
/// whose identity changed while it was read, or that changed in the last seconds (a write in the
/// same timestamp tick could go unseen), is used but not cached. The cache lives in the state root
/// (as trusted as the archives it keys) and is replaced atomically; an unreadable line is ignored.
/// </summary>
public sealed class FileFactsCache
{
    /// <summary>Files modified more recently than this are not cached (timestamp granularity).</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    private const string Header = "sandbox-file-facts-1";

    private readonly string? _path;
    private readonly Dictionary<string, (FileIdentity Identity, FileFacts Facts)> _entries = new(StringComparer.Ordinal);
    private bool _dirty;

    private readonly TimeSpan _settle;

    /// <param name="path">The cache file, or null for no persistence (every file is read).</param>
    /// <param name="settle">How old a file's last change must be for it to be cached (default <see cref="SettleTime"/>).</param>
    public FileFactsCache(string? path, TimeSpan? settle = null)
    {
        _path = path;
        _settle = settle ?? SettleTime;
        if (path is not null && File.Exists(path))
        {
            foreach (var (file, identity, facts) in Parse(File.ReadAllText(path)))
            {
                _entries[file] = (identity, facts);
            }
        }
    }

    /// <summary>Reads performed by <see cref="Facts"/> (misses): what a warm cache saves.</summary>
    public int Reads { get; private set; }

    /// <summary>The file's digest and (for <paramref name="elf"/>) its interpreter and DT_NEEDED list.</summary>
    public FileFacts Facts(string path, bool elf)
    {
        FileIdentity before = FileIdentity.Of(path);
        if (_entries.TryGetValue(path, out var hit) && hit.Identity == before && (hit.Facts.Linkage is not null || !elf))
        {
            return hit.Facts;
        }

        byte[] content = File.ReadAllBytes(path);
        Reads++;
        var facts = new FileFacts(Convert.ToHexStringLower(SHA256.HashData(content)), elf ? ElfDependencies.Read(content, path) : null);
        long settled = (DateTime.UtcNow - _settle - DateTime.UnixEpoch).Ticks * 100L; // ns, not truncated to ms: a file written this millisecond is not settled
        if (FileIdentity.Of(path) == before && before.MtimeNs < settled && before.CtimeNs < settled)
        {
            _entries[path] = (before, facts);
            _dirty = true;
        }

        return facts;
    }

    /// <summary>Writes the cache if anything was added (temp file + rename; a concurrent writer's copy is as good).</summary>
    public void Save()
    {
        if (_path is null || !_dirty)
        {
            return;
        }

        string temp = $"{_path}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(temp, Format(_entries.Select(e => (e.Key, e.Value.Identity, e.Value.Facts))));
        File.Move(temp, _path, overwrite: true);
        _dirty = false;
    }

    /// <summary>One line per file: path, identity, sha256, interpreter (- if none), needed (comma-separated, - if not ELF). Pure.</summary>
    public static string Format(IEnumerable<(string Path, FileIdentity Identity, FileFacts Facts)> entries)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var (path, id, facts) in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            string interp = facts.Linkage?.Interpreter ?? "-";
            string needed = facts.Linkage is { } l ? string.Join(',', l.Needed) : "-";
            text.Append(path).Append('\t').Append(id.Device).Append('\t').Append(id.Inode).Append('\t').Append(id.Size).Append('\t')
                .Append(id.MtimeNs).Append('\t').Append(id.CtimeNs).Append('\t').Append(facts.Sha256).Append('\t')
                .Append(interp).Append('\t').Append(needed).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The well-formed lines of a cache file; anything else (another format, a torn line) is skipped. Pure.</summary>
    public static IEnumerable<(string Path, FileIdentity Identity, FileFacts Facts)> Parse(string text)
    {
        string[] lines = text.Split('\n');
        if (lines[0] != Header)
        {
            yield break;
        }

        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Split('\t');
            if (f.Length == 9 && f[0].StartsWith('/') && ulong.TryParse(f[1], out ulong dev) && ulong.TryParse(f[2], out ulong ino)
                && long.TryParse(f[3], out long size) && long.TryParse(f[4], out long mtime) && long.TryParse(f[5], out long ctime)
                && f[6].Length == 64 && f[6].All(char.IsAsciiHexDigitLower))
            {
                ElfLinkage? linkage = f[8] == "-" ? null
                    : new ElfLinkage(f[7] == "-" ? null : f[7], f[8].Length == 0 ? [] : f[8].Split(','));
                yield return (f[0], new FileIdentity(dev, ino, size, mtime, ctime), new FileFacts(f[6], linkage));
            }
        }
    }
}
