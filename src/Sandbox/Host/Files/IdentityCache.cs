using System.Text;

namespace Sandbox.Host.Files;

/// <summary>How one <see cref="IdentityCache{T}"/> writes its values: its file's first line and a value's fields.</summary>
public interface IIdentityCacheCodec<T>
{
    /// <summary>The file's first line; a file with another is ignored whole (another format).</summary>
    string Header { get; }

    /// <summary>The value's fields, tab-separated, none holding a tab or a newline.</summary>
    string Format(T value);

    /// <summary>The value from its fields, or null when they are not well-formed.</summary>
    T? Parse(string[] fields);
}

/// <summary>
/// Values computed from a file or directory (a digest, a tree's key), remembered by path and
/// <see cref="FileIdentity"/>, so a later run stats the path instead of reading it. A value is
/// computed again whenever the identity differs; one whose path changed while it was computed, or
/// changed in the last seconds (a write in the same timestamp tick could go unseen), is used but not
/// remembered. The cache file lives in the state root (as trusted as what it keys) and is replaced
/// atomically; an unreadable line is ignored.
/// </summary>
public sealed class IdentityCache<T>
    where T : class
{
    private readonly string? _path;
    private readonly IIdentityCacheCodec<T> _codec;
    private readonly TimeSpan _settle;
    private readonly Dictionary<string, (FileIdentity Identity, T Value)> _entries = new(StringComparer.Ordinal);
    private bool _dirty;

    /// <param name="path">The cache file, or null for no persistence (every value is computed).</param>
    /// <param name="settle">How old a path's last change must be for its value to be remembered.</param>
    public IdentityCache(string? path, IIdentityCacheCodec<T> codec, TimeSpan settle)
    {
        _path = path;
        _codec = codec;
        _settle = settle;
        if (path is not null && File.Exists(path))
        {
            foreach (var (file, identity, value) in IdentityCacheText.Parse(codec, File.ReadAllText(path)))
            {
                _entries[file] = (identity, value);
            }
        }
    }

    /// <summary>Values computed by <see cref="Get"/> (misses): what a warm cache saves.</summary>
    public int Misses { get; private set; }

    /// <summary>The remembered value of <paramref name="path"/> if its identity is unchanged (and <paramref name="usable"/>), else <paramref name="compute"/>'s.</summary>
    public T Get(string path, Func<string, T> compute, Func<T, bool>? usable = null)
    {
        FileIdentity before = FileIdentity.Of(path);
        if (_entries.TryGetValue(path, out var hit) && hit.Identity == before && (usable is null || usable(hit.Value)))
        {
            return hit.Value;
        }

        T value = compute(path);
        Misses++;
        long settled = (DateTime.UtcNow - _settle - DateTime.UnixEpoch).Ticks * 100L; // ns, not truncated to ms: a file written this millisecond is not settled
        if (FileIdentity.Of(path) == before && before.MtimeNs < settled && before.CtimeNs < settled && !path.Any(c => c is '\t' or '\n'))
        {
            _entries[path] = (before, value);
            _dirty = true;
        }

        return value;
    }

    /// <summary>Drops what is remembered of <paramref name="path"/>.</summary>
    public void Forget(string path) => _dirty |= _entries.Remove(path);

    /// <summary>Writes the cache if it changed (temp file + rename; a concurrent writer's copy is as good).</summary>
    public void Save()
    {
        if (_path is null || !_dirty)
        {
            return;
        }

        string temp = $"{_path}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(temp, IdentityCacheText.Format(_codec, _entries.Select(e => (e.Key, e.Value.Identity, e.Value.Value))));
        File.Move(temp, _path, overwrite: true);
        _dirty = false;
    }
}

/// <summary>The text of an <see cref="IdentityCache{T}"/>'s file.</summary>
public static class IdentityCacheText
{
    /// <summary>One line per path: the path, its identity's five numbers, then the value's fields. Pure.</summary>
    public static string Format<T>(IIdentityCacheCodec<T> codec, IEnumerable<(string Path, FileIdentity Identity, T Value)> entries)
    {
        var text = new StringBuilder(codec.Header).Append('\n');
        foreach (var (path, id, value) in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            text.Append(path).Append('\t').Append(id.Device).Append('\t').Append(id.Inode).Append('\t').Append(id.Size).Append('\t')
                .Append(id.MtimeNs).Append('\t').Append(id.CtimeNs).Append('\t').Append(codec.Format(value)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The well-formed lines of a cache file; anything else (another format, a torn line) is skipped. Pure.</summary>
    public static IEnumerable<(string Path, FileIdentity Identity, T Value)> Parse<T>(IIdentityCacheCodec<T> codec, string text)
    {
        string[] lines = text.Split('\n');
        if (lines[0] != codec.Header)
        {
            yield break;
        }

        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Split('\t');
            if (f.Length > 6 && f[0].StartsWith('/') && ulong.TryParse(f[1], out ulong dev) && ulong.TryParse(f[2], out ulong ino)
                && long.TryParse(f[3], out long size) && long.TryParse(f[4], out long mtime) && long.TryParse(f[5], out long ctime)
                && codec.Parse(f[6..]) is T value)
            {
                yield return (f[0], new FileIdentity(dev, ino, size, mtime, ctime), value);
            }
        }
    }
}
