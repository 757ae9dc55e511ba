using System.Formats.Tar;
using Sandbox.Images.Extraction;
using Sandbox.Runtime;
using Tmds.Linux;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// `sandbox cp`'s reading side: one node (a file, a directory with everything below, or a symlink)
/// as a tar stream, walked from its parent's descriptor one component at a time without following any
/// link: a symlink is stored as a symlink, a file is described by fstat of what was opened (O_NOFOLLOW),
/// so a tree changed under the walk yields only what it holds, never a file elsewhere. Device nodes,
/// FIFOs and sockets are skipped and counted.
/// </summary>
internal static class TreeTar
{
    public const int MaxDepth = 128;

    /// <param name="entryName">The name the node gets in the tar (default: its own).</param>
    /// <returns>How many entries were skipped (device nodes, FIFOs, sockets).</returns>
    public static int Write(DirFd parent, string name, Stream output, string? entryName = null)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        int skipped = 0;
        Node(parent, name, entryName ?? name, 0);
        return skipped;

        void Node(DirFd dir, string child, string path, int depth)
        {
            if (depth > MaxDepth)
            {
                throw new IOException($"'{path}' is nested deeper than {MaxDepth} directories");
            }

            NodeInfo info = dir.Info(child);
            switch (info.Kind)
            {
                case NodeKind.Directory:
                    writer.WriteEntry(Entry(TarEntryType.Directory, path + "/", info));
                    using (DirFd sub = dir.OpenChild(child, out int errno)
                        ?? throw new IOException($"'{path}' changed while it was read ({Host.Interop.Errno.Describe(errno)})"))
                    {
                        foreach (string n in sub.List().Order(StringComparer.Ordinal))
                        {
                            Node(sub, n, $"{path}/{n}", depth + 1);
                        }
                    }

                    break;
                case NodeKind.RegularFile:
                    var (file, opened) = dir.OpenRegularFile(child, path);
                    using (file)
                    {
                        var entry = Entry(TarEntryType.RegularFile, path, opened);
                        entry.DataStream = file;
                        writer.WriteEntry(entry);
                    }

                    break;
                case NodeKind.Symlink:
                    var link = Entry(TarEntryType.SymbolicLink, path, info);
                    link.LinkName = dir.ReadLink(child);
                    writer.WriteEntry(link);
                    break;
                default:
                    skipped++;
                    break;
            }
        }
    }

    /// <summary>
    /// Refuses a node cp would skip (a device, FIFO or socket) when it is the one asked for: skipped,
    /// it would leave an empty copy and an error about the stream instead of its name.
    /// </summary>
    public static void RefuseSpecial(DirFd parent, string name, string shown)
    {
        NodeInfo info = parent.Info(name);
        if (info.Kind == NodeKind.Other)
        {
            throw Special(shown, info.Described);
        }
    }

    /// <summary>The same refusal when the node came as the first entry of a tar (a microVM's cp out).</summary>
    public static void RefuseSpecial(TarEntry? first, string shown)
    {
        uint? type = first?.EntryType switch
        {
            TarEntryType.CharacterDevice => (uint)LibC.S_IFCHR,
            TarEntryType.BlockDevice => (uint)LibC.S_IFBLK,
            TarEntryType.Fifo => (uint)LibC.S_IFIFO,
            _ => null,
        };
        if (type is { } t)
        {
            throw Special(shown, Host.Files.OpenedFile.Describe(t));
        }
    }

    private static SandboxException Special(string shown, string what) => new(ErrorKind.InvalidArgument,
        $"cp: '{Host.Printable.Escape(shown)}' {what}: cp copies files, directories and symbolic links",
        "inside a directory such nodes are skipped and counted; asked for by name, one is refused");

    private static PaxTarEntry Entry(TarEntryType type, string path, NodeInfo info) => new(type, path)
    {
        Mode = (UnixFileMode)(info.Mode & 0b111_111_111_111 & ~(uint)(LibC.S_ISUID | LibC.S_ISGID)), // never a setuid copy
        ModificationTime = DateTimeOffset.FromUnixTimeSeconds(info.MtimeSeconds),
    };
}
