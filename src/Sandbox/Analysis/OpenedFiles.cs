using System.Text;

namespace Sandbox.Analysis;

/// <summary>
/// The files the sample's processes opened, from init's kprobe on do_filp_open (the path as the
/// kernel copied it, the flags as the kernel took them) and its return (a file, or -errno). One
/// entry per path, flags and outcome, counted, in the order first seen; an exec's own open of the
/// program (__FMODE_EXEC) is left to the exec records.
/// </summary>
public sealed class OpenedFiles
{
    /// <summary>Distinct entries kept; opens beyond them are only counted.</summary>
    public const int MaxEntries = 2048;

    private const int AtFdCwd = -100;
    private const uint FModeExec = 0x20;
    private readonly Dictionary<(string Path, int? DirFd, string Flags, string? Error), int> _index = [];
    private readonly List<ReportOpen> _entries = [];

    public int Dropped { get; private set; }

    public IReadOnlyList<ReportOpen> Entries => _entries;

    /// <param name="call">The kprobe's fields: dfd, fl, n0..n15 (the path's first 128 bytes).</param>
    /// <param name="ret">The kretprobe's fields: ret (a kernel pointer, or -errno).</param>
    public void Add(double at, int pid, IReadOnlyDictionary<string, string> call, IReadOnlyDictionary<string, string> ret)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(ret);
        uint flags = call.TryGetValue("fl", out string? fl) ? (uint)TraceEvent.Number(fl) : 0;
        if ((flags & FModeExec) != 0)
        {
            return;
        }

        byte[] bytes = TraceEvent.Words(call, "n", 16);
        int nul = Array.IndexOf(bytes, (byte)0);
        string path = Encoding.UTF8.GetString(bytes, 0, nul < 0 ? bytes.Length : nul);
        int dfd = call.TryGetValue("dfd", out string? d) ? (int)TraceEvent.Number(d) : AtFdCwd;
        int? dirFd = dfd == AtFdCwd || path.StartsWith('/') ? null : dfd;
        long result = ret.TryGetValue("ret", out string? r) ? TraceEvent.Number(r) : 0;
        string? error = result is < 0 and >= -4095 ? Errno.Name(result) : null; // else a kernel pointer: the file

        var key = (path, dirFd, Describe(flags), error);
        if (_index.TryGetValue(key, out int i))
        {
            _entries[i] = _entries[i] with { Count = _entries[i].Count + 1 };
        }
        else if (_entries.Count < MaxEntries)
        {
            _index[key] = _entries.Count;
            _entries.Add(new ReportOpen(at, pid, path, nul < 0, dirFd, key.Item3, error, 1));
        }
        else
        {
            Dropped++;
        }
    }

    /// <summary>The open(2) flags an analyst reads (the access mode first); O_LARGEFILE and O_CLOEXEC are left out.</summary>
    public static string Describe(uint flags)
    {
        var s = new StringBuilder((flags & 3) switch { 0 => "O_RDONLY", 1 => "O_WRONLY", _ => "O_RDWR" });
        foreach (var (bit, name) in Named)
        {
            if ((flags & bit) == bit && !(name == "O_DIRECTORY" && (flags & TmpFile) == TmpFile)) // O_TMPFILE includes O_DIRECTORY's bit
            {
                s.Append('|').Append(name);
            }
        }

        return s.ToString();
    }

    private const uint TmpFile = 0x410000;

    private static readonly (uint Bit, string Name)[] Named =
    [
        (0x40, "O_CREAT"), (0x80, "O_EXCL"), (0x200, "O_TRUNC"), (0x400, "O_APPEND"), (0x800, "O_NONBLOCK"),
        (TmpFile, "O_TMPFILE"), (0x10000, "O_DIRECTORY"), (0x20000, "O_NOFOLLOW"), (0x200000, "O_PATH"),
    ];
}
