using Sandbox.Backends.MicroVm.Disk;
using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>What `image rm` did.</summary>
public sealed record RemoveResult(IReadOnlyList<string> Untagged, string? Deleted, int BlobsFreed);

/// <summary>`image ls`, `image inspect`, `image rm`, and resolving an imported image for `run`.</summary>
public static class ImageStore
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static IReadOnlyList<ImageSummary> List(StateRoot root)
    {
        var catalog = Open(root);
        return catalog is null ? [] : catalog.List(catalog.LoadRefs());
    }

    public static ImageSummary Inspect(StateRoot root, string reference)
    {
        var catalog = Open(root) ?? throw NotFound(reference);
        RefTable refs = catalog.LoadRefs();
        string digest = ImageCatalog.Find(refs, reference) ?? throw NotFound(reference);
        return catalog.List(refs).Single(s => s.Digest == digest);
    }

    /// <summary>
    /// Removes a name (the image goes when its last name does), or an image by digest with all its names;
    /// then collects unreferenced blobs and the microVM root disk built from a deleted image. Waits for running imports (exclusive store lock).
    /// </summary>
    public static RemoveResult Remove(StateRoot root, string reference)
    {
        var catalog = Open(root) ?? throw NotFound(reference);
        using var storeLock = StoreLock.Exclusive(catalog.Store.LockPath);
        using var refsLock = StoreLock.Exclusive(catalog.Store.LockPath + ".refs");
        RefTable refs = catalog.LoadRefs();
        string digest = ImageCatalog.Find(refs, reference) ?? throw NotFound(reference);
        bool byName = refs.Names.TryGetValue(ImageReference.Normalize(reference), out string? named) && named == digest
            && !reference.Contains('@', StringComparison.Ordinal);
        var untagged = byName ? [ImageReference.Normalize(reference)]
            : refs.Names.Where(kv => kv.Value == digest).Select(kv => kv.Key).ToList();
        foreach (string n in untagged)
        {
            refs.Names.Remove(n);
        }

        bool delete = !refs.Names.ContainsValue(digest);
        if (delete)
        {
            using var unused = StoreLock.TryExclusive(ImageCatalog.UseLockOf(catalog.ImageDir(digest)))
                ?? throw new SandboxException(ErrorKind.StateConflict,
                    $"image {reference} ({digest[..19]}) is in use by a running sandbox; nothing was removed",
                    "wait for the sandbox to finish (sandbox audit ls shows what started), then remove it");
            refs.Images.Remove(digest);
        }

        catalog.SaveRefs(refs);
        var (blobs, _) = GarbageCollector.Collect(catalog, rootfs => RootDisk.Forget(root, rootfs));
        return new RemoveResult(untagged, delete ? digest : null, blobs);
    }

    /// <summary>The imported image REF names (NAME[:TAG], digest or digest prefix), or null when there is none.</summary>
    public static Image? TryResolve(StateRoot root, string reference)
    {
        var catalog = Open(root);
        if (catalog is null)
        {
            return null;
        }

        RefTable refs = catalog.LoadRefs();
        if (ImageCatalog.Find(refs, reference) is not { } digest || !refs.Images.Contains(digest))
        {
            return null;
        }

        StoredImage s = catalog.Load(digest);
        // Like docker: an image that sets no PATH gets the usual one.
        List<string> env = s.Env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)) ? s.Env : [DefaultPath, .. s.Env];
        return new Image(reference, Path.Combine(catalog.ImageDir(digest), "rootfs"), s.Cmd, env, s.WorkingDir)
        {
            UseLock = ImageCatalog.UseLockOf(catalog.ImageDir(digest)),
            Entrypoint = s.Entrypoint,
            User = s.User,
            Labels = s.Labels,
            Digest = s.Digest,
        };
    }

    /// <summary>The catalog, or null when nothing was ever imported under this root (nothing is created for a lookup).</summary>
    private static ImageCatalog? Open(StateRoot root) =>
        Directory.Exists(Path.Combine(root.Images, "store")) ? new ImageCatalog(new ContentStore(root)) : null;

    private static SandboxException NotFound(string reference) =>
        new(ErrorKind.ImageNotFound, $"image '{reference}' not found", "sandbox image ls lists the imported images");
}
