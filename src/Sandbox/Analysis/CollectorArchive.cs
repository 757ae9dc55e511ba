using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Analysis;

/// <summary>
/// What the guest's collector sent (one tar, written by guest init after the sample exited): the
/// trace, the trace buffers' statistics, the workload cgroup's counters, the events the kernel
/// could not provide, and the overlay's upper layer, i.e. every file the sample created, changed
/// or deleted. Read entry by entry from the file, bounded; nothing in it is ever extracted by name.
/// </summary>
public sealed class CollectorArchive
{
    private const long MaxText = 96L << 20;

    public string Trace { get; private set; } = "";

    /// <summary>The "names" buffer: sched_process_exec, the one event whose text (the executed file's name) the sample chooses.</summary>
    public string Names { get; private set; } = "";

    /// <summary>The "opens" buffer: do_filp_open and its return, kept apart so a flood of opens fills only it.</summary>
    public string Opens { get; private set; } = "";

    /// <summary>The guest kernel log's seccomp audit records (type=1326), one per refusal it logged.</summary>
    public string? Seccomp { get; private set; }

    /// <summary>--network sinkhole: the helper's records (Sinkhole/SinkholeRecords); null without it.</summary>
    public string? Sinkhole { get; private set; }

    public long EventsLost { get; private set; }
    public Dictionary<string, string> Cgroup { get; } = new(StringComparer.Ordinal);
    public List<string> Missing { get; } = [];
    public List<ReportFile> Files { get; } = [];

    /// <param name="imageRoot">The image's root on the host: a path present there was modified (or deleted), else created.</param>
    /// <param name="dropped">Where created and modified regular files are copied, named by their SHA-256, mode 0400.</param>
    /// <param name="mountPoints">Upper-layer directories init or crun made for mounts (the sample's own /sample): not the sample's doing.</param>
    public static CollectorArchive Read(string tarPath, string imageRoot, string dropped, IReadOnlySet<string> mountPoints)
    {
        var c = new CollectorArchive();
        using var file = File.OpenRead(tarPath);
        using var reader = new TarReader(file);
        while (reader.GetNextEntry() is { } entry)
        {
            string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            name = name.TrimEnd('/');
            if (name.StartsWith("upper/", StringComparison.Ordinal))
            {
                c.AddChange(entry, name["upper/".Length..], imageRoot, dropped, mountPoints);
                continue;
            }

            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                continue;
            }

            // An empty file has no data stream, and is still there: no seccomp refusal is not "no log".
            string text = entry.DataStream is null ? "" : ReadText(entry.DataStream);
            switch (name)
            {
                case "trace":
                    c.Trace = text;
                    break;
                case "names":
                    c.Names = text;
                    break;
                case "opens":
                    c.Opens = text;
                    break;
                case "seccomp":
                    c.Seccomp = text;
                    break;
                case "sinkhole":
                    c.Sinkhole = text;
                    break;
                case "trace-stats":
                    c.EventsLost = Lost(text);
                    break;
                case "missing":
                    c.Missing.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                default:
                    if (name.StartsWith("cgroup.", StringComparison.Ordinal))
                    {
                        c.Cgroup[name["cgroup.".Length..]] = text;
                    }

                    break;
            }
        }

        c.Files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return c;
    }

    private static string ReadText(Stream s)
    {
        using var bounded = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = s.Read(buffer)) > 0 && bounded.Length < MaxText)
        {
            bounded.Write(buffer, 0, (int)Math.Min(n, MaxText - bounded.Length));
        }

        return Encoding.UTF8.GetString(bounded.GetBuffer(), 0, (int)bounded.Length);
    }

    // per_cpu/cpuN/stats: "overrun: N" (overwritten) and "dropped events: N" (refused when full).
    private static long Lost(string stats) => stats.Split('\n')
        .Select(l => l.Split(':', 2))
        .Where(p => p.Length == 2 && p[0].Trim() is "overrun" or "dropped events")
        .Sum(p => long.TryParse(p[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : 0);

    private void AddChange(TarEntry entry, string rel, string imageRoot, string dropped, IReadOnlySet<string> mountPoints)
    {
        if (rel.Length == 0 || rel.Split('/').Any(p => p is "" or "." or ".."))
        {
            return;
        }

        string path = "/" + rel;
        bool inImage = ExistsInImage(imageRoot, rel);
        int mode = (int)entry.Mode;
        bool setuid = (mode & 0x800) != 0, setgid = (mode & 0x400) != 0;
        string modeText = Convert.ToString(mode & 0xfff, 8).PadLeft(4, '0');
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (!inImage && !mountPoints.Contains(path))
                {
                    Files.Add(new ReportFile(path, "created", "directory", null, modeText, null, setuid, setgid, false, null, null));
                }

                break;
            case TarEntryType.CharacterDevice when entry is PosixTarEntry { DeviceMajor: 0, DeviceMinor: 0 }:
                Files.Add(new ReportFile(path, "deleted", "whiteout", null, null, null, false, false, false, null, null)); // overlayfs's mark
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                Files.Add(new ReportFile(path, inImage ? "modified" : "created", entry.EntryType == TarEntryType.BlockDevice ? "block-device" : "char-device",
                    null, modeText, null, setuid, setgid, true, null, null));
                break;
            case TarEntryType.SymbolicLink:
                Files.Add(new ReportFile(path, inImage ? "modified" : "created", "symlink", null, null, null, false, false, false, entry.LinkName, null));
                break;
            case TarEntryType.HardLink:
                Files.Add(new ReportFile(path, inImage ? "modified" : "created", "hardlink", null, modeText, null, setuid, setgid, false,
                    entry.LinkName.StartsWith("./upper/", StringComparison.Ordinal) ? entry.LinkName["./upper".Length..] : entry.LinkName, null));
                break;
            case TarEntryType.Fifo:
                Files.Add(new ReportFile(path, inImage ? "modified" : "created", "fifo", null, modeText, null, false, false, false, null, null));
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                var (sha, size) = Drop(entry.DataStream ?? Stream.Null, dropped);
                Files.Add(new ReportFile(path, inImage ? "modified" : "created", "file", size, modeText, sha, setuid, setgid, false, null, "dropped/" + sha));
                break;
        }
    }

    /// <summary>Copies one file's content to dropped/SHA256 (0400, created exclusively: no link is ever followed or replaced).</summary>
    private static (string Sha256, long Size) Drop(Stream content, string dropped)
    {
        string temp = Path.Combine(dropped, $".partial-{Guid.NewGuid():N}");
        long size = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var outFile = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            var buffer = new byte[81920];
            int n;
            while ((n = content.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                outFile.Write(buffer, 0, n);
                size += n;
            }
        }

        string sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        File.SetUnixFileMode(temp, UnixFileMode.UserRead);
        string final = Path.Combine(dropped, sha);
        if (File.Exists(final))
        {
            File.Delete(temp); // the same content twice
        }
        else
        {
            File.Move(temp, final);
        }

        return (sha, size);
    }

    /// <summary>Whether rel exists in the image, looked up component by component without following any link (lstat).</summary>
    private static bool ExistsInImage(string imageRoot, string rel)
    {
        string at = imageRoot;
        string[] parts = rel.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            at = Path.Combine(at, parts[i]);
            var info = new FileInfo(at);
            bool exists = info.Exists || info.LinkTarget is not null || (info.Attributes != (FileAttributes)(-1) && info.Attributes.HasFlag(FileAttributes.Directory));
            if (!exists)
            {
                return false;
            }

            if (i < parts.Length - 1 && (info.LinkTarget is not null || !info.Attributes.HasFlag(FileAttributes.Directory)))
            {
                return false; // below a link or a file: the overlay resolved it elsewhere
            }
        }

        return true;
    }
}
