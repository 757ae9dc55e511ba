using Sandbox.Runtime;

namespace Sandbox.Images.Store;

/// <summary>
/// The blob store under {root}/images/store: blobs/sha256/HEX (immutable, named by their digest), tmp/
/// for writes in flight, the lock file, and refs.json. Private to root (0700), and so is {root}/images
/// above it: rootfs files carry their image owners as host IDs (setuid root ones too, for trusted
/// images), so no other host user may reach them. Sandboxes see a rootfs through an ID-mapped bind.
/// </summary>
internal sealed class ContentStore
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public ContentStore(StateRoot root)
    {
        ImagesDir = root.Ensure(root.Images); // tightens a store made by an older version (0711) to 0700
        Dir = Path.Combine(ImagesDir, "store");
        BlobsDir = Path.Combine(Dir, "blobs", "sha256");
        TmpDir = Path.Combine(Dir, "tmp");
        foreach (string d in new[] { Dir, BlobsDir, TmpDir })
        {
            Directory.CreateDirectory(d, Private);
        }
    }

    /// <summary>{root}/images: one directory per materialized image sits beside the store.</summary>
    public string ImagesDir { get; }

    public string Dir { get; }

    public string BlobsDir { get; }

    public string TmpDir { get; }

    public string LockPath => Path.Combine(Dir, "lock");

    /// <summary>Cancelled when the import writing through this store is interrupted (SIGINT/SIGTERM): every blob write checks it.</summary>
    public CancellationToken Interrupt { get; init; }

    public string RefsPath => Path.Combine(Dir, "refs.json");

    public string BlobPath(string digest) => Path.Combine(BlobsDir, Digest.Hex(digest));

    public bool Has(string digest) => Digest.IsValid(digest) && File.Exists(BlobPath(digest));

    /// <summary>Streams <paramref name="source"/> into the store (never buffered whole), verifying it when a digest is expected.</summary>
    public string Ingest(Stream source, string? expected, long maxBytes, string what)
    {
        using var writer = new BlobWriter(this, maxBytes, what);
        source.CopyTo(writer, 1 << 16);
        return writer.Commit(expected);
    }

    /// <summary>A small JSON blob (manifest, config, index) read whole, bounded.</summary>
    public byte[] ReadSmall(string digest, string what, int maxBytes = 4 << 20)
    {
        string path = BlobPath(digest);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{what} {digest} is missing from the image");
        }

        return info.Length <= maxBytes ? File.ReadAllBytes(path)
            : throw new SandboxException(ErrorKind.ImageNotFound, $"{what} {digest} is {info.Length} bytes; at most {maxBytes} are accepted");
    }

    /// <summary>Removes whatever an interrupted run left in tmp/ and half-built image directories. Only under the exclusive lock.</summary>
    public void RemoveLeftovers()
    {
        foreach (string f in Directory.EnumerateFileSystemEntries(TmpDir))
        {
            DeleteEntry(f);
        }

        foreach (string d in Directory.EnumerateDirectories(ImagesDir, ".tmp-image-*"))
        {
            DeleteEntry(d);
        }
    }

    public static void DeleteEntry(string path)
    {
        if (Directory.Exists(path) && !File.GetAttributes(path).HasFlag(FileAttributes.ReparsePoint))
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            File.Delete(path);
        }
    }
}
