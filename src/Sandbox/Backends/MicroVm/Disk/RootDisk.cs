using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandbox.Backends.MicroVm.Templates;
using Sandbox.Host;
using Sandbox.Host.Files;
using Sandbox.Host.Mounts;
using Sandbox.Images;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Disk;

/// <summary>
/// An image's root filesystem as a read-only ext4 disk, built once per image content and shared by
/// every VM (QEMU opens it readonly=on; each guest writes to its own tmpfs overlay). Keyed by a
/// digest of the tree's names, modes, owners, sizes, mtimes, link targets and file contents (and a format version,
/// bumped when what a disk must carry changes: v2 = the image's own owners), walked once per
/// published tree (<see cref="TreeKeyCache"/>); built with
/// mkfs.ext4 -d, no journal (it is never written), fixed UUID and hash seed, and published with an
/// atomic rename that never replaces a published disk: a running VM's staged bind pins the inode
/// at that name, and replacing it under a concurrent first run made that run's jail fail with
/// ENOENT. One launcher builds each disk under a per-disk lock; the others wait and reuse it.
/// The cache is root-only (0700, disks 0600): a disk holds the image's files with their owners and
/// modes, so it is as private as the image store; the jailed VMM gets each disk through an
/// ID-mapped bind (<see cref="Stage"/>).
/// </summary>
public static class RootDisk
{
    private const string FixedUuid = "5a4db0c5-0000-4000-8000-000000000001";

    public static string Ensure(StateRoot root, Image image, CancellationToken ct)
    {
        root.Ensure(Path.Combine(root.Path, "vm"), traversable: true); // kernels and initramfs below stay reachable
        string dir = root.Ensure(Path.Combine(root.Path, "vm", "disks")); // private; tightens a 0711 cache of older versions
        var keys = new TreeKeyCache(Path.Combine(dir, TreeKeyCache.FileName));
        var (key, bytes) = keys.KeyOf(image.RootfsPath);
        keys.Save();
        string final = Path.Combine(dir, key + ".ext4");
        if (Cached(final))
        {
            MarkUsed(dir, key);
            return final;
        }

        using var turn = ExclusiveFileLock.Take(Path.Combine(dir, key + ".lock")); // concurrent first runs wait for one build
        if (Cached(final))
        {
            return final;
        }

        string mkfs = ExecutableLocator.Find("mkfs.ext4") ?? throw new SandboxException(ErrorKind.HostUnsupported,
            "mkfs.ext4 is not installed; the microVM backend builds the image's root disk with it", "apt-get install e2fsprogs");
        long size = Math.Max(16L << 20, ((bytes * 5 / 4) + (16L << 20)) & ~((1L << 20) - 1));
        string temp = Path.Combine(dir, $".tmp-{key}.ext4"); // one name per disk: a killed build's leftover is rebuilt over
        try
        {
            var env = new Dictionary<string, string> { ["E2FSPROGS_FAKE_TIME"] = "1" };
            var result = ExternalCommand.RunAsync(mkfs,
                ["-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0", "-L", "sandbox-root", "-U", FixedUuid,
                 "-E", $"root_owner=0:0,hash_seed={FixedUuid}", "-d", image.RootfsPath, temp,
                 string.Create(CultureInfo.InvariantCulture, $"{size / 1024}k")], TimeSpan.FromMinutes(10), ct, env).GetAwaiter().GetResult();
            if (!result.Succeeded)
            {
                throw new SandboxException(ErrorKind.EngineFailed,
                    $"mkfs.ext4 could not build the root disk for image '{image.Reference}': {result.FirstLine()}");
            }

            File.SetUnixFileMode(temp, Private);
            File.Move(temp, final, overwrite: false); // under the lock nobody else publishes this name
            MarkUsed(dir, key);
            SweepUnused(dir, keep: key);
            return final;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Deletes the disk built from <paramref name="rootfs"/> (an image being removed) and the VM
    /// templates saved on it: a disk is hundreds of MiB, and keys never come back once their image
    /// is gone. A running VM keeps its staged bind of the inode; a later run of an image with the
    /// same tree builds it again. Nothing is created on a root that never ran a microVM.
    /// </summary>
    public static void Forget(StateRoot root, string rootfs)
    {
        ArgumentNullException.ThrowIfNull(root);
        string dir = Path.Combine(root.Path, "vm", "disks");
        if (!Directory.Exists(dir))
        {
            return;
        }

        var keys = new TreeKeyCache(Path.Combine(dir, TreeKeyCache.FileName));
        string key = keys.KeyOf(rootfs).Key;
        keys.Forget(rootfs);
        keys.Save();
        string disk = Path.Combine(dir, key + ".ext4");
        if (File.Exists(disk))
        {
            using var turn = ExclusiveFileLock.Take(Path.Combine(dir, key + ".lock")); // never under a build of it; the lock file stays (a waiter holds it open)
            File.Delete(disk);
        }

        TemplateStore.RemoveSavedOn(root, key);
    }

    /// <summary>
    /// The disk for one VM: a read-only ID-mapped bind of the cached disk at bundle/rootfs.ext4. Host
    /// root's 0600 file appears owned by the jail's root (the lease's first host ID), which alone
    /// can read it; teardown detaches it with the bundle.
    /// </summary>
    public static string Stage(string disk, string bundle, SafeFileHandle userns)
    {
        string target = Path.Combine(bundle, "rootfs.ext4");
        File.WriteAllBytes(target, []);
        IdMappedBind.Attach(disk, target, userns, readOnly: true);
        return target;
    }

    /// <summary>A disk no run used for this long is deleted when the next disk is built (older formats' disks, images removed by hand).</summary>
    public static readonly TimeSpan Unused = TimeSpan.FromDays(14);

    // The lock file's mtime is the disk's last use: it exists for every disk (its build took it).
    private static void MarkUsed(string dir, string key)
    {
        try
        {
            File.SetLastWriteTimeUtc(Path.Combine(dir, key + ".lock"), DateTime.UtcNow);
        }
        catch (FileNotFoundException)
        {
            // a disk of an older version, built before lock files: its own mtime stands for its last use
        }
    }

    private static void SweepUnused(string dir, string keep)
    {
        foreach (string disk in Directory.EnumerateFiles(dir, "*.ext4").Where(f => !Path.GetFileName(f).StartsWith('.'))) // not a build's temp file
        {
            string key = Path.GetFileNameWithoutExtension(disk);
            string lockFile = Path.Combine(dir, key + ".lock");
            DateTime lastUse = File.Exists(lockFile) ? File.GetLastWriteTimeUtc(lockFile) : File.GetLastWriteTimeUtc(disk);
            if (key != keep && DateTime.UtcNow - lastUse > Unused)
            {
                using var turn = ExclusiveFileLock.Take(lockFile); // never under a build of it
                File.Delete(disk); // a VM running from it keeps its bind of the inode
            }
        }
    }

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static bool Cached(string disk)
    {
        if (!File.Exists(disk))
        {
            return false;
        }

        if (File.GetUnixFileMode(disk) != Private)
        {
            File.SetUnixFileMode(disk, Private); // older versions left disks 0644
        }

        return true;
    }

    /// <summary>The version of what a key covers; remembered keys of another version are walked again.</summary>
    public const string KeyFormat = "sandbox-rootdisk-4";

    /// <summary>The name of the disk built from <paramref name="rootfs"/>: a digest of its tree.</summary>
    internal static string KeyOf(string rootfs) => Describe(rootfs).Key;

    /// <summary>Walks the tree (never following a link) for its key; <see cref="TreeKeyCache"/> remembers the result per tree.</summary>
    internal static TreeKey Describe(string rootfs)
    {
        // v2: the stored rootfs carries the image's owners (v1 disks, from host-root-owned trees, are rebuilt).
        // v3: links are not followed (v2 walked into /var/run -> /run on the host: a new key every run).
        // v4: regular files' contents are hashed. v3 keyed metadata alone, and an image's tar headers
        //     set every name, mode, owner, size and mtime: an image could copy another's and be given
        //     (or give it) the other's disk. TreeKeyCache makes this walk once per published tree.
        var text = new StringBuilder(KeyFormat).Append('\n');
        long bytes = 0;
        foreach (string path in TreeWalk.Below(rootfs).Select(e => e.Path).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path); // lstat: a link's own mode, time and target
            long length = info.Attributes.HasFlag(FileAttributes.Directory) || info.LinkTarget is not null ? 0 : info.Length;
            bytes += length + 4096;
            var (uid, gid, regular) = FileOwner.GetWithKind(path);
            string content = regular ? ContentDigest(path) : "-";
            text.Append(CultureInfo.InvariantCulture,
                $"{Path.GetRelativePath(rootfs, path)}\t{(int)info.UnixFileMode}\t{uid}:{gid}\t{length}\t{info.LastWriteTimeUtc.Ticks}\t{info.LinkTarget}\t{content}\n");
        }

        return new TreeKey(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))), bytes);
    }

    private static string ContentDigest(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
