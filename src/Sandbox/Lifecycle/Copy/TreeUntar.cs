using System.Formats.Tar;
using Sandbox.Images.Extraction;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// `sandbox cp`'s writing side: a tar stream unpacked below an open directory, one path component at
/// a time from that descriptor with O_NOFOLLOW|O_DIRECTORY, so no symlink (one already there, or one
/// this very tar just made) ever leads a write elsewhere. An existing file or symlink at an entry's
/// name is replaced (the link itself, never its target); a directory is merged. Names with ".." are
/// refused; device nodes, FIFOs and hard links are skipped. Setuid/setgid bits are dropped.
/// </summary>
/// <param name="keepSpecialNodes">
/// On the host (cp out): a device, FIFO or socket already at a name is never removed, so a tree from
/// a sandbox cannot replace, say, a host's /dev node with a file or directory of its own. Into a
/// sandbox such a node is the workload's own, and is replaced as in a microVM (whose guest tar does).
/// </param>
internal sealed class TreeUntar(DirFd into, string? renameTop, (uint Uid, uint Gid)? owner, bool keepSpecialNodes = false)
{
    private const uint Permissions = 0b111_111_111 | 0b001_000_000_000; // rwx and sticky: never setuid/setgid
    private static readonly ExtractionLimits Limits = new();

    /// <summary>How many entries were skipped.</summary>
    public int Skipped { get; private set; }

    public void Extract(Stream tar)
    {
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
            {
                continue;
            }

            var path = EntryPath.Parse(entry.Name, Limits);
            if (path.IsRoot)
            {
                continue;
            }

            var parts = path.Components.ToList();
            if (renameTop is not null)
            {
                parts[0] = renameTop;
            }

            Apply(entry, parts);
        }
    }

    private void Apply(TarEntry entry, List<string> parts)
    {
        using DirFd parent = Walk(parts);
        string leaf = parts[^1];
        uint mode = (uint)entry.Mode & Permissions;
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (parent.Kind(leaf) is var kind and not NodeKind.Directory)
                {
                    if (renameTop is not null && parts.Count == 1 && kind != NodeKind.Missing)
                    {
                        // The node given as the destination (docker cp refuses the same): a file there is not lost to a directory.
                        throw new IOException($"'{leaf}' is not a directory; a directory is not copied onto it");
                    }

                    KeepSpecial(parent, leaf, kind, parts);
                    parent.Remove(leaf);
                    parent.MakeDirectory(leaf, 0b111_000_000);
                }

                parent.SetMode(leaf, mode);
                Own(parent, leaf);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                Replaceable(parent, leaf, parts);
                using (var file = parent.CreateFile(leaf, 0b110_000_000))
                {
                    entry.DataStream?.CopyTo(file);
                    DirFd.SetMode(file, mode);
                    if (owner is var (uid, gid))
                    {
                        DirFd.SetOwner(file, uid, gid);
                    }
                }

                break;
            case TarEntryType.SymbolicLink:
                Replaceable(parent, leaf, parts);
                parent.Symlink(leaf, entry.LinkName);
                Own(parent, leaf);
                break;
            default:
                Skipped++;
                break;
        }
    }

    // A file or link at the name is replaced (unlinked: a link's target is never touched); a directory is not.
    private void Replaceable(DirFd parent, string leaf, List<string> parts)
    {
        NodeKind kind = parent.Kind(leaf);
        if (kind == NodeKind.Directory)
        {
            throw new IOException($"cannot overwrite the directory '{string.Join('/', parts)}' with a non-directory");
        }

        KeepSpecial(parent, leaf, kind, parts);
        parent.Remove(leaf);
    }

    private void KeepSpecial(DirFd parent, string leaf, NodeKind kind, List<string> parts)
    {
        if (keepSpecialNodes && kind == NodeKind.Other)
        {
            throw new IOException($"'{string.Join('/', parts)}' {parent.Info(leaf).Described} here; cp never replaces a device, FIFO or socket");
        }
    }

    private void Own(DirFd parent, string leaf)
    {
        if (owner is var (uid, gid))
        {
            parent.SetOwner(leaf, uid, gid);
        }
    }

    // The entry's parent directory, made where missing; a symlink or file on the way stops the copy.
    private DirFd Walk(List<string> parts)
    {
        DirFd current = into.OpenChild(".", out _) ?? throw new IOException("the destination directory went away");
        for (int i = 0; i < parts.Count - 1; i++)
        {
            DirFd? next = current.OpenChild(parts[i], out int errno);
            if (next is null && errno == Tmds.Linux.LibC.ENOENT)
            {
                current.MakeDirectory(parts[i], 0b111_101_101);
                Own(current, parts[i]);
                next = current.OpenChild(parts[i], out errno);
            }

            current.Dispose();
            current = next ?? throw new IOException(
                $"'{string.Join('/', parts.Take(i + 1))}' is a symlink or not a directory; cp never follows links ({Host.Interop.Errno.Describe(errno)})");
        }

        return current;
    }
}
