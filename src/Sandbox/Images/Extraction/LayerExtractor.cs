using System.Formats.Tar;

namespace Sandbox.Images.Extraction;

/// <summary>
/// Applies one layer (a tar stream) to the rootfs per the OCI layer spec, refusing or neutralizing
/// whatever could reach outside it: see docs/images.md for each rule and why.
/// </summary>
/// <param name="keepSetid">A trusted import keeps setuid/setgid bits; an untrusted one strips them.</param>
internal sealed class LayerExtractor(SafeTree tree, ExtractionLimits limits, ImportReport report, bool keepSetid)
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const uint SetId = 0b110_000_000_000; // setuid | setgid
    private const uint Sticky = 0b001_000_000_000;
    private const uint Permissions = 0b111_111_111;

    /// <summary>A sandbox's user namespace maps 0..65535; an owner beyond could not be shown inside it.</summary>
    public const int MaxId = 65535;

    // Paths this layer created or walked through: an opaque marker or whiteout only hides lower layers.
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);

    public void Apply(Stream tar, MeteredStream meter)
    {
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            if (++report.Entries > limits.MaxEntries)
            {
                throw new LimitExceededException($"the image has more than {limits.MaxEntries} entries");
            }

            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
            {
                continue;
            }

            if (entry.Length > meter.Budget - meter.BytesRead)
            {
                throw new LimitExceededException(
                    $"entry '{entry.Name}' declares {entry.Length} bytes, beyond this layer's remaining budget of {meter.Budget - meter.BytesRead}");
            }

            Apply(entry);
        }
    }

    private void Apply(TarEntry entry)
    {
        var path = EntryPath.Parse(entry.Name, limits);
        if (path.IsRoot)
        {
            if (entry.EntryType is TarEntryType.Directory)
            {
                tree.DirectoryTimes[string.Empty] = EntryTime.Of(entry.ModificationTime);
            }

            return;
        }

        if (path.UnderFreshMount)
        {
            report.IgnoredEntries++;
            return;
        }

        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.Keys.Any(k => k.StartsWith("SCHILY.xattr.", StringComparison.Ordinal)))
        {
            report.IgnoredXattrEntries++; // file capabilities and other xattrs are never reproduced
        }

        if (path.Leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            Whiteout(path);
            return;
        }

        using DirFd parent = tree.Parent(path, create: true, _touched)!;
        string key = string.Join('/', path.Components);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                Directory(parent, path, entry);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                File(parent, path, entry);
                break;
            case TarEntryType.SymbolicLink:
                var (uid, gid) = Owner(path, entry);
                Replace(parent, path.Leaf);
                parent.Symlink(path.Leaf, CheckedTarget(entry));
                parent.SetOwner(path.Leaf, uid, gid);
                parent.SetTime(path.Leaf, EntryTime.Of(entry.ModificationTime));
                break;
            case TarEntryType.HardLink:
                HardLink(parent, path, entry);
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                report.Dropped(path.ToString());
                return;
            default:
                throw new LayerRefusedException($"entry '{path}' has tar type {entry.EntryType}, which extraction does not support");
        }

        _touched.Add(key);
        report.Owner(entry.Uid, entry.Gid);
    }

    // Owners are stored as the image gives them (on-disk IDs 0..65535, shifted into each sandbox's
    // range by an ID-mapped mount); the mode goes after the owner because chown clears setuid/setgid.
    private void Directory(DirFd parent, EntryPath path, TarEntry entry)
    {
        var (uid, gid) = Owner(path, entry);
        string name = path.Leaf;
        if (parent.Kind(name) != NodeKind.Directory)
        {
            parent.Remove(name);
            parent.MakeDirectory(name, 0b111_000_000);
        }

        parent.SetOwner(name, uid, gid);
        parent.SetMode(name, (uint)entry.Mode & (Sticky | Permissions | (keepSetid ? SetId : 0)));
        tree.DirectoryTimes[string.Join('/', path.Components)] = EntryTime.Of(entry.ModificationTime); // set last: every later entry below changes it
    }

    private void File(DirFd parent, EntryPath path, TarEntry entry)
    {
        var (uid, gid) = Owner(path, entry);
        uint mode = (uint)entry.Mode & (SetId | Sticky | Permissions);
        if ((mode & SetId) != 0)
        {
            if (keepSetid)
            {
                report.Kept(path.ToString());
            }
            else
            {
                report.Stripped(path.ToString());
                mode &= ~SetId;
            }
        }

        Replace(parent, path.Leaf);
        using (FileStream file = parent.CreateFile(path.Leaf, 0b110_000_000))
        {
            entry.DataStream?.CopyTo(file);
            DirFd.SetOwner(file, uid, gid);
            DirFd.SetMode(file, mode & ~Sticky); // a sticky bit on a file means nothing on Linux
        }

        parent.SetTime(path.Leaf, EntryTime.Of(entry.ModificationTime)); // after the last write
        report.Bytes += entry.Length;
    }

    /// <summary>The entry's owner, refused when a sandbox's ID range (0..65535) cannot represent it.</summary>
    private static (uint Uid, uint Gid) Owner(EntryPath path, TarEntry entry) =>
        entry.Uid is >= 0 and <= MaxId && entry.Gid is >= 0 and <= MaxId
            ? ((uint)entry.Uid, (uint)entry.Gid)
            : throw new LayerRefusedException(
                $"entry '{path}' is owned by {entry.Uid}:{entry.Gid}; a sandbox maps only IDs 0-{MaxId}, so that owner cannot exist inside it");

    private void HardLink(DirFd parent, EntryPath path, TarEntry entry)
    {
        var target = EntryPath.Parse(entry.LinkName, limits, $"hard link target of '{path}'");
        if (target.IsRoot || target.UnderFreshMount)
        {
            throw new LayerRefusedException($"hard link '{path}' points at '{target}', which is not a file of this image");
        }

        using DirFd targetDir = tree.Parent(target, create: false)
            ?? throw new LayerRefusedException($"hard link '{path}' points at '{target}', which does not exist in this image");
        if (targetDir.Kind(target.Leaf) != NodeKind.RegularFile)
        {
            throw new LayerRefusedException($"hard link '{path}' points at '{target}', which is not a regular file of this image");
        }

        if (target.ToString() == path.ToString())
        {
            return;
        }

        Replace(parent, path.Leaf);
        parent.HardLink(path.Leaf, targetDir, target.Leaf);
    }

    private void Whiteout(EntryPath marker)
    {
        using DirFd? parent = tree.Parent(marker, create: false, _touched);
        if (parent is null)
        {
            return; // nothing below to hide
        }

        string dir = string.Join('/', marker.Parents);
        string prefix = dir.Length == 0 ? string.Empty : dir + "/";
        if (marker.Leaf == OpaqueMarker)
        {
            foreach (string name in parent.List().Where(n => !_touched.Contains(prefix + n)))
            {
                parent.Remove(name);
            }

            return;
        }

        string hidden = marker.Leaf[WhiteoutPrefix.Length..];
        if (hidden.Length == 0 || hidden is "." or "..")
        {
            throw new LayerRefusedException($"whiteout '{marker}' names no file");
        }

        if (!_touched.Contains(prefix + hidden))
        {
            parent.Remove(hidden);
        }
    }

    /// <summary>Whatever a lower layer left at a name gives way to this layer's entry (never written through).</summary>
    private static void Replace(DirFd parent, string name)
    {
        if (parent.Kind(name) != NodeKind.Missing)
        {
            parent.Remove(name);
        }
    }

    private string CheckedTarget(TarEntry entry)
    {
        string target = entry.LinkName;
        if (target.Length == 0 || target.Length > limits.MaxPathLength || target.Contains('\0', StringComparison.Ordinal))
        {
            throw new LayerRefusedException($"symlink '{entry.Name}' has an empty or oversized target");
        }

        if (target.Contains(EntryPath.NotUtf8, StringComparison.Ordinal))
        {
            throw new LayerRefusedException($"symlink '{entry.Name}' has a target that {EntryPath.NotUtf8Reason}");
        }

        return target; // stored verbatim; extraction never follows it, and the sandbox resolves it inside its own root
    }
}
