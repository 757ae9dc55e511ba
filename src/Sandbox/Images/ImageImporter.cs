using System.Text.Json;
using Sandbox.Images.Extraction;
using Sandbox.Images.Formats;
using Sandbox.Images.Store;
using Sandbox.Runtime;
using Sandbox.Volumes;

namespace Sandbox.Images;

/// <summary>What `image import` registered.</summary>
public sealed record ImportResult(string Digest, string Format, IReadOnlyList<string> Names, ImportReport Report);

/// <summary>
/// `sandbox image import PATH [--name NAME[:TAG]]`: blobs into the store (verified), one rootfs built in a
/// temporary directory, published by rename, then the names registered. Interrupted at any point, it
/// leaves nothing registered; the next import or rm clears the leftovers.
/// </summary>
public static class ImageImporter
{
    /// <param name="trusted">Keep setuid/setgid bits (a trusted image); untrusted imports strip them.</param>
    public static ImportResult Import(StateRoot root, string path, string? name, ExtractionLimits? limits = null, bool trusted = false) =>
        ImportInterruptibly(root, path, name, CancellationToken.None, limits, trusted);

    /// <summary><see cref="Import"/> that SIGINT/SIGTERM can stop (<paramref name="interrupt"/>): it stops at the next block and removes what it wrote.</summary>
    public static ImportResult ImportInterruptibly(
        StateRoot root, string path, string? name, CancellationToken interrupt, ExtractionLimits? limits = null, bool trusted = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        limits ??= ExtractionLimits.Default;
        string? wanted = name is null ? null : ImageReference.Validate(name);
        // Judged before the store is touched: a refused source leaves the state root as it was.
        using var source = ImportSource.Open(path);
        SourceKind kind = SourceDetector.Detect(source, limits, interrupt);
        if (kind is SourceKind.RootfsDirectory or SourceKind.RootfsTar && wanted is null)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"{source.Path} is a plain root filesystem, which carries no name",
                "give one: sandbox image import PATH --name NAME[:TAG]");
        }

        if (kind == SourceKind.RootfsDirectory)
        {
            RefuseOverlapWithStateRoot(root, source.Path);
        }

        return RunAsync(root, source.Path, wanted, limits, store => Task.FromResult(Prepare(store, source, kind, wanted, limits)), trusted, interrupt)
            .GetAwaiter().GetResult();
    }

    /// <summary>
    /// A host directory given as IMAGE to `run` (after policy granted it): imported like
    /// `image import DIR --name ...` but without a name, so what the sandbox sees is a sanitised
    /// private copy (no links followed, /dev /proc /sys fresh, setuid/setgid stripped unless trusted),
    /// never the live host tree. The same unchanged tree gives the same digest, so it is stored once.
    /// </summary>
    public static ImportResult ImportDirectory(StateRoot root, string dir, bool trusted, CancellationToken interrupt)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var source = ImportSource.Open(dir);
        if (!source.IsDirectory)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{source.Path} is not a directory",
                "give a root filesystem directory, or import an archive first: sandbox image import PATH --name NAME");
        }

        RefuseOverlapWithStateRoot(root, source.Path);

        ExtractionLimits limits = ExtractionLimits.Default;
        return RunAsync(root, source.Path, null, limits,
            store => Task.FromResult(RootfsSource.FromDirectory(store, source, limits)), trusted, interrupt).GetAwaiter().GetResult();
    }

    // Copying a tree that holds the state root would read the store while writing into it (and
    // every image, volume and audit record into the new image).
    private static void RefuseOverlapWithStateRoot(StateRoot root, string dir)
    {
        string state = HostBindPath.RealPath(root.Path) ?? root.Path;
        if (Inside(state, dir) || Inside(dir, state))
        {
            throw new SandboxException(ErrorKind.ImageNotFound,
                $"directory {dir} {(Inside(state, dir) ? "contains" : "is inside")} the state root {state}",
                "give a directory that holds only a root filesystem, e.g. one made with debootstrap or `tar -x`");
        }

        static bool Inside(string path, string parent) => path == parent || path.StartsWith(parent.TrimEnd('/') + "/", StringComparison.Ordinal);
    }

    /// <summary>Under the store lock: gather the blobs (<paramref name="prepare"/>), build the rootfs, publish, register.</summary>
    internal static async Task<ImportResult> RunAsync(
        StateRoot root, string source, string? wanted, ExtractionLimits limits, Func<ContentStore, Task<PreparedImage>> prepare,
        bool trusted = false, CancellationToken interrupt = default)
    {
        var store = new ContentStore(root) { Interrupt = interrupt };
        var catalog = new ImageCatalog(store);
        bool done = false;
        StoreLock storeLock = SharedAfterCleanup(store);
        try
        {
            PreparedImage prepared = await prepare(store).ConfigureAwait(false);
            ImportResult result = Publish(catalog, source, prepared, wanted, limits, trusted, interrupt);
            done = true;
            return result;
        }
        catch (Exception e) when (e is LayerRefusedException or LimitExceededException)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"import of {source} refused: {e.Message}",
                "the image is unsafe or malformed; nothing was registered");
        }
        catch (DigestMismatchException e)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"import of {source} refused: digest mismatch: {e.Message}",
                "the image is corrupt or was tampered with; nothing was registered");
        }
        finally
        {
            storeLock.Dispose();
            if (!done)
            {
                CollectIfAlone(catalog);
            }
        }
    }

    // A failed or interrupted import may have committed blobs nothing references: collect them now,
    // unless another import is running (it may be about to reference them; the next rm collects).
    private static void CollectIfAlone(ImageCatalog catalog)
    {
        try
        {
            using StoreLock? alone = StoreLock.TryExclusive(catalog.Store.LockPath);
            if (alone is not null)
            {
                GarbageCollector.Collect(catalog);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SandboxException)
        {
            // never hide why the import failed; what is left is collected by the next import or rm
        }
    }

    private static StoreLock SharedAfterCleanup(ContentStore store)
    {
        if (StoreLock.TryExclusive(store.LockPath) is { } exclusive)
        {
            store.RemoveLeftovers(); // nobody else is importing: whatever is in tmp/ was left by a killed run
            exclusive.Downgrade();
            return exclusive;
        }

        return StoreLock.Shared(store.LockPath);
    }

    private static PreparedImage Prepare(ContentStore store, ImportSource source, SourceKind kind, string? wanted, ExtractionLimits limits)
    {
        string path = source.Path;
        string read = source.ReadPath; // the opened inode, whatever happens to the path meanwhile
        switch (kind)
        {
            case SourceKind.OciLayout:
                byte[] index = ReadIndex(Path.Combine(read, "index.json"), Path.Combine(path, "index.json"));
                return OciImageReader.Prepare(store, "oci-layout", path, index, wanted,
                    OciImageReader.FromLayoutDirectory(store, read, path, limits.MaxTotalBytes));
            case SourceKind.OciArchive:
                var files = ArchiveIngest.Ingest(store, source, limits);
                string indexDigest = files.GetValueOrDefault("index.json")
                    ?? throw new SandboxException(ErrorKind.ImageNotFound, $"{path}: the oci-archive has no index.json");
                return OciImageReader.Prepare(store, "oci-archive", path, store.ReadSmall(indexDigest, "index.json"), wanted,
                    OciImageReader.FromIngested(store, path));
            case SourceKind.DockerArchive:
                return DockerArchiveReader.Prepare(store, path, ArchiveIngest.Ingest(store, source, limits), wanted);
            case SourceKind.RootfsDirectory:
                return RootfsSource.FromDirectory(store, source, limits);
            default:
                return RootfsSource.FromTar(store, source, limits.MaxTotalBytes);
        }
    }

    private static byte[] ReadIndex(string file, string shown) => SourceFile.ReadSmall(file, shown, 4 << 20);

    private static ImportResult Publish(
        ImageCatalog catalog, string path, PreparedImage prepared, string? wanted, ExtractionLimits limits, bool trusted,
        CancellationToken interrupt)
    {
        ContentStore store = catalog.Store;
        CheckPlatform(path, prepared.Config);
        CheckWorkingDir(path, prepared.Config);
        string temp = Path.Combine(store.ImagesDir, $".tmp-image-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp, ContentStore.Private); // sandboxes reach the rootfs through an ID-mapped bind, never this path
        try
        {
            var report = new ImportReport();
            var layers = prepared.Layers.Select(l => new LayerBlob(l.Digest, store.BlobPath(l.Digest), new FileInfo(store.BlobPath(l.Digest)).Length)).ToList();
            List<string> diffIds = RootfsBuilder.Build(Path.Combine(temp, "rootfs"), layers, limits, report, trusted, interrupt);
            var (digest, configDigest) = Seal(store, path, prepared, diffIds);
            var names = wanted is not null ? [wanted] : prepared.Names.Select(ImageReference.TryName).OfType<string>().Distinct().ToList();
            StoredImage stored = Describe(prepared, digest, configDigest, path, report);
            File.WriteAllBytes(Path.Combine(temp, "image.json"), JsonSerializer.SerializeToUtf8Bytes(stored, StoreJsonContext.Default.StoredImage));
            string final = catalog.ImageDir(digest);
            try
            {
                Directory.Move(temp, final); // atomic publish; the same digest always materializes the same rootfs
            }
            catch (IOException) when (Directory.Exists(final))
            {
                // already imported (or a concurrent import won the rename): identical, unless imported at the other trust level
                CheckSameTrust(catalog, digest, trusted);
            }

            catalog.Register(digest, names);
            return new ImportResult(digest, prepared.Format, names, report);
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>Checks the layers' diff IDs against the config (or fills them in for a made-up config); returns the manifest digest.</summary>
    private static (string Digest, string ConfigDigest) Seal(ContentStore store, string path, PreparedImage prepared, List<string> diffIds)
    {
        if (prepared.ManifestDigest is { } manifest)
        {
            var expected = prepared.Config.Rootfs?.DiffIds ?? [];
            if (!expected.SequenceEqual(diffIds, StringComparer.Ordinal))
            {
                throw new DigestMismatchException(
                    $"{path}: the layers' uncompressed digests ({string.Join(", ", diffIds.Select(Digest.Abbreviate))}) differ from the config's diff IDs ({string.Join(", ", expected.Select(Digest.Abbreviate))})");
            }

            return (manifest, prepared.ConfigDigest!);
        }

        var config = prepared.Config with { Rootfs = new RootfsSection("layers", diffIds) };
        Descriptor configDescriptor = ManifestWriter.WriteConfig(store, config);
        return (ManifestWriter.WriteManifest(store, configDescriptor, prepared.Layers), configDescriptor.Digest);
    }

    // One rootfs per digest: its setuid/setgid bits follow the trust of the import that built it.
    private static void CheckSameTrust(ImageCatalog catalog, string digest, bool trusted)
    {
        bool existing = catalog.Load(digest).Report.Trusted;
        if (existing != trusted)
        {
            string was = existing ? "trusted (setuid/setgid kept)" : "untrusted (setuid/setgid stripped)";
            throw new SandboxException(ErrorKind.StateConflict, $"image {digest} is already imported as {was}",
                $"remove it first (sandbox image rm {digest}) to import it {(trusted ? "with --trust trusted" : "as untrusted")}");
        }
    }

    // One spelling only: "/tmp/../proc/self/fd/7" must never reach a runtime (CVE-2024-21626). Checked again at run time.
    private static void CheckWorkingDir(string path, ImageConfigFile config)
    {
        if (config.Config?.WorkingDir is { Length: > 0 } dir && Host.Files.CanonicalPath.Problem(dir) is { } problem)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"import of {path} refused: its WorkingDir '{dir.Replace("\0", "\\0", StringComparison.Ordinal)}' {problem}",
                "an image's working directory must be a plain absolute path such as /srv/app (no '.', '..' or '//')");
        }
    }

    private static void CheckPlatform(string path, ImageConfigFile config)
    {
        string arch = ManifestSelector.HostArchitecture;
        if ((config.Os ?? "linux") != "linux" || (config.Architecture ?? arch) != arch)
        {
            throw new SandboxException(ErrorKind.ImageNotFound,
                $"{path} is an image for {config.Os}/{config.Architecture}; this host runs linux/{arch}");
        }
    }

    private static StoredImage Describe(PreparedImage prepared, string digest, string configDigest, string path, ImportReport report)
    {
        ContainerConfig c = prepared.Config.Config ?? new ContainerConfig(null, null, null, null, null, null);
        return new StoredImage
        {
            Digest = digest,
            ConfigDigest = configDigest,
            Layers = [.. prepared.Layers.Select(l => l.Digest)],
            CompressedSize = prepared.Layers.Sum(l => l.Size),
            Source = $"{prepared.Format}:{path}",
            ImportedAt = DateTimeOffset.UtcNow,
            Os = prepared.Config.Os ?? "linux",
            Architecture = prepared.Config.Architecture ?? ManifestSelector.HostArchitecture,
            Entrypoint = c.Entrypoint ?? [],
            Cmd = c.Cmd ?? [],
            Env = c.Env ?? [],
            WorkingDir = string.IsNullOrEmpty(c.WorkingDir) ? "/" : c.WorkingDir,
            User = string.IsNullOrEmpty(c.User) ? null : c.User,
            Labels = c.Labels ?? new(StringComparer.Ordinal),
            Report = report,
        };
    }
}
