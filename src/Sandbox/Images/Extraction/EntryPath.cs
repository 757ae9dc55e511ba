namespace Sandbox.Images.Extraction;

/// <summary>
/// A tar entry name checked and split into components: never absolute, never "..", bounded in length
/// and depth. "." and empty components are dropped, so "./a//b" is a/b.
/// </summary>
internal sealed record EntryPath(IReadOnlyList<string> Components)
{
    /// <summary>Top-level names whose content the image never supplies: the backends mount fresh ones.</summary>
    private static readonly HashSet<string> FreshMounts = new(StringComparer.Ordinal) { "dev", "proc", "sys" };

    /// <summary>What a name that was not UTF-8 reads as (U+FFFD); a name really holding U+FFFD cannot be told apart.</summary>
    public const char NotUtf8 = '\uFFFD';

    public const string NotUtf8Reason = "is not valid UTF-8 (or holds U+FFFD, which stands for such bytes): its bytes would change on import, so the image is refused";

    public bool IsRoot => Components.Count == 0;

    public string Leaf => Components[^1];

    public IEnumerable<string> Parents => Components.Take(Components.Count - 1);

    /// <summary>True for /dev, /proc, /sys and anything below them.</summary>
    public bool UnderFreshMount => Components.Count > 0 && FreshMounts.Contains(Components[0]);

    public override string ToString() => "/" + string.Join('/', Components);

    public static EntryPath Parse(string name, ExtractionLimits limits, string what = "entry")
    {
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw Refuse(what, name, "contains a NUL byte");
        }

        // .NET's tar reader decodes names as UTF-8 and turns other bytes into U+FFFD: such a name
        // would be written under different bytes, so it is refused rather than silently renamed.
        if (name.Contains(NotUtf8, StringComparison.Ordinal))
        {
            throw Refuse(what, name, NotUtf8Reason);
        }

        if (name.Length > limits.MaxPathLength)
        {
            throw Refuse(what, Shorten(name), $"is longer than {limits.MaxPathLength} bytes");
        }

        var parts = new List<string>();
        foreach (string part in name.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                throw Refuse(what, name, "contains '..'");
            }

            if (System.Text.Encoding.UTF8.GetByteCount(part) > limits.MaxNameLength)
            {
                throw Refuse(what, Shorten(name), $"has a component longer than {limits.MaxNameLength} bytes");
            }

            parts.Add(part);
        }

        // "/" alone (umoci writes it for the root directory) names the root itself, not a host path.
        if (name.StartsWith('/') && parts.Count > 0)
        {
            throw Refuse(what, name, "is an absolute path");
        }

        if (parts.Count > limits.MaxDepth)
        {
            throw Refuse(what, Shorten(name), $"is deeper than {limits.MaxDepth} directories");
        }

        return new EntryPath(parts);
    }

    private static string Shorten(string name) => name.Length <= 80 ? name : name[..80] + "...";

    private static LayerRefusedException Refuse(string what, string name, string why) =>
        new($"{what} '{name}' {why}");
}

/// <summary>A layer asked for something extraction refuses to do; the whole import fails and nothing is registered.</summary>
internal sealed class LayerRefusedException(string message) : Exception(message);
