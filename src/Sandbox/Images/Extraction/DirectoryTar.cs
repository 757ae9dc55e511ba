using System.Formats.Tar;
using Tmds.Linux;

namespace Sandbox.Images.Extraction;

/// <summary>
/// Tars a host directory (a root filesystem given by path) without ever following a link: the walk
/// goes from the opened directory one component at a time (O_NOFOLLOW|O_DIRECTORY), each file is
/// opened with O_NOFOLLOW|O_NONBLOCK and described by fstat of what was opened, and a symlink is
/// stored as a symlink. A tree swapped while it is read (a directory for a link to /etc, a file for a
/// FIFO) therefore yields only what the directory itself holds, never a host file beside it. Device
/// nodes and FIFOs are written as such, for the extractor to drop and report; sockets are skipped;
/// /dev, /proc and /sys are not descended (the sandbox mounts fresh ones). The result goes through
/// the same safe extraction as any layer.
/// </summary>
internal static class DirectoryTar
{
    private static readonly HashSet<string> NotDescended = new(StringComparer.Ordinal) { "dev", "proc", "sys" };

    /// <param name="directory">The opened root of the tree.</param>
    public static void Write(DirFd directory, Stream output, ExtractionLimits limits, CancellationToken interrupt)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        long entries = 0;
        Walk(directory, string.Empty, 0);

        void Walk(DirFd dir, string prefix, int depth)
        {
            if (depth > limits.MaxDepth)
            {
                throw new LimitExceededException($"'{prefix}' is nested deeper than {limits.MaxDepth} directories");
            }

            foreach (string name in dir.List().Order(StringComparer.Ordinal))
            {
                interrupt.ThrowIfCancellationRequested();
                if (++entries > limits.MaxEntries)
                {
                    throw new LimitExceededException($"the directory has more than {limits.MaxEntries} entries");
                }

                string path = prefix + name;
                if (name.Contains(EntryPath.NotUtf8, StringComparison.Ordinal))
                {
                    // .NET lists names as UTF-8 text: this one's bytes are lost, so it is refused, never renamed.
                    throw new LayerRefusedException($"entry '/{path}' {EntryPath.NotUtf8Reason}");
                }

                NodeInfo info = dir.Info(name);
                switch (info.Kind)
                {
                    case NodeKind.Directory:
                        writer.WriteEntry(Entry(TarEntryType.Directory, path + "/", info));
                        if (depth == 0 && NotDescended.Contains(name))
                        {
                            break;
                        }

                        using (DirFd child = dir.OpenChild(name, out int errno)
                            ?? throw new IOException($"'{path}' changed while it was read ({Host.Interop.Errno.Describe(errno)})"))
                        {
                            Walk(child, path + "/", depth + 1);
                        }

                        break;
                    case NodeKind.RegularFile:
                        WriteFile(dir, name, path, writer);
                        break;
                    case NodeKind.Symlink:
                        var link = Entry(TarEntryType.SymbolicLink, path, info);
                        link.LinkName = dir.ReadLink(name);
                        writer.WriteEntry(link);
                        break;
                    default:
                        if (Special(info) is { } type)
                        {
                            writer.WriteEntry(Entry(type, path, info));
                        }

                        break;
                }
            }
        }
    }

    private static void WriteFile(DirFd dir, string name, string path, TarWriter writer)
    {
        var (file, info) = dir.OpenRegularFile(name, path); // a file swapped for a FIFO or device is refused
        using (file)
        {
            // The tar header takes the size fstat gave; a file that grows meanwhile yields a damaged
            // layer, which extraction refuses (the bytes are the directory's own either way).
            var entry = Entry(TarEntryType.RegularFile, path, info);
            entry.DataStream = file;
            writer.WriteEntry(entry);
        }
    }

    private static TarEntryType? Special(NodeInfo info) =>
        info.Type == (uint)LibC.S_IFCHR ? TarEntryType.CharacterDevice
        : info.Type == (uint)LibC.S_IFBLK ? TarEntryType.BlockDevice
        : info.Type == (uint)LibC.S_IFIFO ? TarEntryType.Fifo
        : null; // a socket has no place in an image

    // GNU format (long names, no PAX headers) with all three times the file's mtime: an unchanged tree
    // gives the same bytes, so the same image digest (a path image is stored once, not once per run).
    private static GnuTarEntry Entry(TarEntryType type, string path, NodeInfo info)
    {
        var mtime = DateTimeOffset.FromUnixTimeSeconds(info.MtimeSeconds);
        return new GnuTarEntry(type, path)
        {
            Mode = (UnixFileMode)(info.Mode & 0b111_111_111_111),
            Uid = (int)info.Uid,
            Gid = (int)info.Gid,
            ModificationTime = mtime,
            AccessTime = mtime,
            ChangeTime = mtime,
        };
    }
}
