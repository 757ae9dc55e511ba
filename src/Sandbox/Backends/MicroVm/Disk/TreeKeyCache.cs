using System.Globalization;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Host.Files;

namespace Sandbox.Backends.MicroVm.Disk;

/// <summary>A tree's root-disk key (the disk's name) and the bytes its files take (the disk's size is made from it).</summary>
public sealed record TreeKey(string Key, long Bytes);

/// <summary>
/// The root-disk key of each image tree, remembered per tree directory and its
/// <see cref="FileIdentity"/> (<see cref="IdentityCache{T}"/>), so a run stats one directory instead
/// of walking and hashing every file of the image (~1 s for a Debian minbase tree, ~70 ms before
/// contents counted). Sound because the store never changes a published tree: images are built in a
/// temp directory and published by rename, and a replaced or re-imported image is a new directory
/// with a new identity. The cache lives beside the disks, as trusted as they are.
/// </summary>
public sealed class TreeKeyCache
{
    public const string FileName = "tree-keys";

    private readonly IdentityCache<TreeKey> _cache;

    /// <param name="path">The cache file, or null for no persistence (every tree is walked).</param>
    /// <param name="settle">How old a tree directory's last change must be for its key to be kept (default <see cref="FileFactsCache.SettleTime"/>).</param>
    public TreeKeyCache(string? path, TimeSpan? settle = null) => _cache = new(path, Codec.Instance, settle ?? FileFactsCache.SettleTime);

    /// <summary>Trees walked by <see cref="KeyOf"/> (misses): what a warm cache saves.</summary>
    public int Walks => _cache.Misses;

    /// <summary>The key of the tree at <paramref name="rootfs"/>, walked only when its directory is not the one remembered.</summary>
    public TreeKey KeyOf(string rootfs) => _cache.Get(rootfs, RootDisk.Describe);

    /// <summary>Drops what is remembered of <paramref name="rootfs"/> (its image is being removed).</summary>
    public void Forget(string rootfs) => _cache.Forget(rootfs);

    /// <summary>Writes the cache if it changed.</summary>
    public void Save() => _cache.Save();

    /// <summary>One line per tree: path, directory identity, key, bytes. Pure.</summary>
    public static string Format(IEnumerable<(string Tree, FileIdentity Identity, TreeKey Key)> entries) =>
        IdentityCacheText.Format(Codec.Instance, entries);

    /// <summary>The well-formed lines of a cache file; keys of another format are never read. Pure.</summary>
    public static IEnumerable<(string Tree, FileIdentity Identity, TreeKey Key)> Parse(string text) =>
        IdentityCacheText.Parse(Codec.Instance, text);

    private sealed class Codec : IIdentityCacheCodec<TreeKey>
    {
        public static readonly Codec Instance = new();

        // The key's own format is part of the header: keys of an older format are never used.
        public string Header => "sandbox-tree-keys-1 " + RootDisk.KeyFormat;

        public string Format(TreeKey key) => string.Create(CultureInfo.InvariantCulture, $"{key.Key}\t{key.Bytes}");

        public TreeKey? Parse(string[] f) =>
            f.Length == 2 && f[0].Length == 64 && f[0].All(char.IsAsciiHexDigitLower) && long.TryParse(f[1], out long bytes) && bytes >= 0
                ? new TreeKey(f[0], bytes)
                : null;
    }
}
