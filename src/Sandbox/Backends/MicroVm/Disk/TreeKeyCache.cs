using System.Globalization;
using System.Text;
using Sandbox.Backends.MicroVm.Initramfs;

namespace Sandbox.Backends.MicroVm.Disk;

/// <summary>
/// The root-disk key of each image tree, remembered per tree directory and its
/// <see cref="FileIdentity"/>, so a run stats one directory instead of walking every file of the
/// image (~70 ms for a Debian minbase tree). Sound because the store never changes a published
/// tree: images are built in a temp directory and published by rename, and a replaced or
/// re-imported image is a new directory with a new identity. A tree changed in the last seconds is
/// used but not remembered (it may still be being written). The cache lives beside the disks
/// (root-only, as trusted as they are) and is replaced atomically; an unreadable line is ignored.
/// </summary>
public sealed class TreeKeyCache
{
    public const string FileName = "tree-keys";

    // The key's own format is part of the header: keys of an older format are never used.
    private const string Header = "sandbox-tree-keys-1 " + RootDisk.KeyFormat;

    private readonly string? _path;
    private readonly TimeSpan _settle;
    private readonly Dictionary<string, (FileIdentity Identity, TreeKey Key)> _entries = new(StringComparer.Ordinal);
    private bool _dirty;

    /// <param name="path">The cache file, or null for no persistence (every tree is walked).</param>
    /// <param name="settle">How old a tree directory's last change must be for its key to be kept (default <see cref="FileFactsCache.SettleTime"/>).</param>
    public TreeKeyCache(string? path, TimeSpan? settle = null)
    {
        _path = path;
        _settle = settle ?? FileFactsCache.SettleTime;
        if (path is not null && File.Exists(path))
        {
            foreach (var (tree, identity, key) in Parse(File.ReadAllText(path)))
            {
                _entries[tree] = (identity, key);
            }
        }
    }

    /// <summary>Trees walked by <see cref="KeyOf"/> (misses): what a warm cache saves.</summary>
    public int Walks { get; private set; }

    /// <summary>The key of the tree at <paramref name="rootfs"/>, walked only when its directory is not the one remembered.</summary>
    public TreeKey KeyOf(string rootfs)
    {
        FileIdentity before = FileIdentity.Of(rootfs);
        if (_entries.TryGetValue(rootfs, out var hit) && hit.Identity == before)
        {
            return hit.Key;
        }

        TreeKey key = RootDisk.Describe(rootfs);
        Walks++;
        long settled = (DateTime.UtcNow - _settle - DateTime.UnixEpoch).Ticks * 100L;
        if (FileIdentity.Of(rootfs) == before && before.MtimeNs < settled && before.CtimeNs < settled && !rootfs.Any(c => c is '\t' or '\n'))
        {
            _entries[rootfs] = (before, key);
            _dirty = true;
        }

        return key;
    }

    /// <summary>Drops what is remembered of <paramref name="rootfs"/> (its image is being removed).</summary>
    public void Forget(string rootfs) => _dirty |= _entries.Remove(rootfs);

    /// <summary>Writes the cache if it changed (temp file + rename; a concurrent writer's copy is as good).</summary>
    public void Save()
    {
        if (_path is null || !_dirty)
        {
            return;
        }

        string temp = $"{_path}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(temp, Format(_entries.Select(e => (e.Key, e.Value.Identity, e.Value.Key))));
        File.Move(temp, _path, overwrite: true);
        _dirty = false;
    }

    /// <summary>One line per tree: path, directory identity, key, bytes. Pure.</summary>
    public static string Format(IEnumerable<(string Tree, FileIdentity Identity, TreeKey Key)> entries)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var (tree, id, key) in entries.OrderBy(e => e.Tree, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{tree}\t{id.Device}\t{id.Inode}\t{id.Size}\t{id.MtimeNs}\t{id.CtimeNs}\t{key.Key}\t{key.Bytes}\n");
        }

        return text.ToString();
    }

    /// <summary>The well-formed lines of a cache file; anything else (another format, a torn line, a tab in a path) is skipped. Pure.</summary>
    public static IEnumerable<(string Tree, FileIdentity Identity, TreeKey Key)> Parse(string text)
    {
        string[] lines = text.Split('\n');
        if (lines[0] != Header)
        {
            yield break;
        }

        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Split('\t');
            if (f.Length == 8 && f[0].StartsWith('/') && ulong.TryParse(f[1], out ulong dev) && ulong.TryParse(f[2], out ulong ino)
                && long.TryParse(f[3], out long size) && long.TryParse(f[4], out long mtime) && long.TryParse(f[5], out long ctime)
                && f[6].Length == 64 && f[6].All(char.IsAsciiHexDigitLower) && long.TryParse(f[7], out long bytes) && bytes >= 0)
            {
                yield return (f[0], new FileIdentity(dev, ino, size, mtime, ctime), new TreeKey(f[6], bytes));
            }
        }
    }
}

/// <summary>A tree's root-disk key (the disk's name) and the bytes its files take (the disk's size is made from it).</summary>
public sealed record TreeKey(string Key, long Bytes);
