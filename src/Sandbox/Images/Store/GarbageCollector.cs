namespace Sandbox.Images.Store;

/// <summary>
/// Deletes what no registered image needs: blobs outside every image's manifest, config and layers,
/// image directories no longer in refs.json (unless a sandbox still runs from one: the next
/// collection takes it), and leftovers of interrupted imports. Only ever run under the store's
/// exclusive lock, so no import is in flight. <paramref name="forgetRootfs"/> is told of each deleted
/// image's rootfs just before it goes, unless a kept image has the same layers (and so the same tree),
/// so caches built from the tree (the microVM root disk) go with it.
/// </summary>
internal static class GarbageCollector
{
    public static (int Blobs, int Images) Collect(ImageCatalog catalog, Action<string>? forgetRootfs = null)
    {
        ContentStore store = catalog.Store;
        store.RemoveLeftovers();
        RefTable refs = catalog.LoadRefs();
        var keep = new HashSet<string>(StringComparer.Ordinal);
        var keepDirs = new HashSet<string>(StringComparer.Ordinal);
        var keptTrees = new HashSet<string>(StringComparer.Ordinal);
        foreach (string digest in refs.Images)
        {
            StoredImage image = catalog.Load(digest);
            keep.Add(Digest.Hex(image.Digest));
            keep.Add(Digest.Hex(image.ConfigDigest));
            keep.UnionWith(image.Layers.Select(Digest.Hex));
            keepDirs.Add(Path.GetFileName(catalog.ImageDir(digest)));
            keptTrees.Add(string.Join(' ', image.Layers));
        }

        int blobs = 0;
        foreach (string blob in Directory.EnumerateFiles(store.BlobsDir))
        {
            if (!keep.Contains(Path.GetFileName(blob)))
            {
                File.Delete(blob);
                blobs++;
            }
        }

        int images = 0;
        foreach (string dir in Directory.EnumerateDirectories(store.ImagesDir, "sha256-*"))
        {
            if (keepDirs.Contains(Path.GetFileName(dir)))
            {
                continue;
            }

            string useLock = ImageCatalog.UseLockOf(dir);
            using var unused = StoreLock.TryExclusive(useLock);
            if (unused is null)
            {
                continue; // a sandbox runs from it
            }

            if (forgetRootfs is not null && Directory.Exists(Path.Combine(dir, "rootfs"))
                && !keptTrees.Contains(string.Join(' ', ImageCatalog.TryLoadFrom(dir)?.Layers ?? [])))
            {
                forgetRootfs(Path.Combine(dir, "rootfs"));
            }

            ContentStore.DeleteEntry(dir);
            File.Delete(useLock); // a launcher waiting on it finds the image gone and says so
            images++;
        }

        return (blobs, images);
    }
}
