using System.Text.Json;
using Sandbox.Runtime;

namespace Sandbox.Images.Store;

/// <summary>
/// The registered images: refs.json (replaced atomically, under the exclusive lock) and one
/// {root}/images/sha256-HEX directory per image holding image.json and the read-only rootfs.
/// </summary>
internal sealed class ImageCatalog(ContentStore store)
{
    public ContentStore Store { get; } = store;

    public string ImageDir(string digest) => Path.Combine(Store.ImagesDir, "sha256-" + Digest.Hex(digest));

    /// <summary>Beside the image's directory: running sandboxes hold it shared, deletion takes it exclusive.</summary>
    public static string UseLockOf(string imageDir) => imageDir + ".use";

    public RefTable LoadRefs()
    {
        if (!File.Exists(Store.RefsPath))
        {
            return new RefTable();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Store.RefsPath), StoreJsonContext.Default.RefTable)
                ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new SandboxException(ErrorKind.StateConflict, $"the image store's {Store.RefsPath} is corrupt: {e.Message}",
                "it is only ever replaced atomically, so something else wrote it; restore it or remove the store");
        }
    }

    public void SaveRefs(RefTable refs)
    {
        string temp = Path.Combine(Store.TmpDir, $"refs-{Guid.NewGuid():N}.json");
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, refs, StoreJsonContext.Default.RefTable);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, Store.RefsPath, overwrite: true); // readers see the old table or the new one, never half
    }

    /// <summary>The image.json in an image directory, or null when it is missing or unreadable (an interrupted import's).</summary>
    public static StoredImage? TryLoadFrom(string dir)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(dir, "image.json")), StoreJsonContext.Default.StoredImage);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public StoredImage Load(string digest)
    {
        string path = Path.Combine(ImageDir(digest), "image.json");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StoreJsonContext.Default.StoredImage)
                ?? throw new JsonException("null document");
        }
        catch (Exception e) when (e is JsonException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SandboxException(ErrorKind.StateConflict, $"image {digest}: {path} is missing or corrupt ({e.Message})",
                $"remove the image (sandbox image rm {digest}) and import it again");
        }
    }

    /// <summary>The digest REF names: NAME[:TAG], sha256:HEX, or a unique prefix (12+ hex digits) of one.</summary>
    public static string? Find(RefTable refs, string reference)
    {
        string trimmed = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference[7..] : reference;
        if (trimmed.Length >= 12 && trimmed.All(char.IsAsciiHexDigitLower))
        {
            var matches = refs.Images.Where(d => d[7..].StartsWith(trimmed, StringComparison.Ordinal)).ToList();
            if (matches.Count == 1)
            {
                return matches[0];
            }

            if (matches.Count > 1)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"'{reference}' matches {matches.Count} images", "give more digits");
            }
        }

        int at = reference.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            string pinned = reference[(at + 1)..];
            return refs.Images.Contains(pinned) ? pinned : null;
        }

        return refs.Names.GetValueOrDefault(ImageReference.Normalize(reference));
    }

    public List<ImageSummary> List(RefTable refs) =>
        [.. refs.Images.Select(d =>
        {
            var image = Load(d);
            var names = refs.Names.Where(kv => kv.Value == d).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            return new ImageSummary(d, names, image.CompressedSize, image.ImportedAt, image);
        })];

    /// <summary>Adds the image and points the names at it (under the refs lock; the image directory is already in place).</summary>
    public void Register(string digest, IReadOnlyList<string> names)
    {
        using var refsLock = StoreLock.Exclusive(Store.LockPath + ".refs");
        RefTable refs = LoadRefs();
        if (!refs.Images.Contains(digest))
        {
            refs.Images.Add(digest);
        }

        foreach (string n in names)
        {
            refs.Names[n] = digest;
        }

        SaveRefs(refs);
    }
}
