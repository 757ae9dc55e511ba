namespace Sandbox.Images.Extraction;

/// <summary>
/// What extraction changed or refused to reproduce from the image, kept with the image so a user (or the
/// policy) can see it: dropped device nodes, stripped (untrusted) or kept (trusted) setuid/setgid bits,
/// ignored /dev /proc /sys content, and the owners the layers gave (applied as on-disk IDs 0..65535).
/// </summary>
public sealed class ImportReport
{
    private const int MaxListed = 100;

    public int Layers { get; set; }
    public long Entries { get; set; }
    public long Bytes { get; set; }
    public List<string> DroppedSpecialFiles { get; set; } = [];
    public long DroppedSpecialFileCount { get; set; }
    public List<string> StrippedSetid { get; set; } = [];
    public long StrippedSetidCount { get; set; }
    public List<string> KeptSetid { get; set; } = [];
    public long KeptSetidCount { get; set; }

    /// <summary>Imported as trusted: setuid/setgid bits were kept.</summary>
    public bool Trusted { get; set; }
    public long IgnoredEntries { get; set; }
    public long IgnoredXattrEntries { get; set; }
    public Dictionary<string, long> Owners { get; set; } = new(StringComparer.Ordinal);

    public void Dropped(string path)
    {
        if (DroppedSpecialFileCount++ < MaxListed)
        {
            DroppedSpecialFiles.Add(path);
        }
    }

    public void Stripped(string path)
    {
        if (StrippedSetidCount++ < MaxListed)
        {
            StrippedSetid.Add(path);
        }
    }

    public void Kept(string path)
    {
        if (KeptSetidCount++ < MaxListed)
        {
            KeptSetid.Add(path);
        }
    }

    public void Owner(int uid, int gid)
    {
        string key = $"{uid}:{gid}";
        Owners[key] = Owners.GetValueOrDefault(key) + 1;
    }
}
