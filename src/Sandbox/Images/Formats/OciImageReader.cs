using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images.Formats;

/// <summary>
/// Reads an OCI image (from a layout directory or an ingested oci-archive) into the store: the selected
/// manifest, its config and its layers, each verified against its digest before anything trusts it.
/// </summary>
internal static class OciImageReader
{
    /// <param name="ensure">Makes a blob present (and verified) in the store, returning its path.</param>
    public static PreparedImage Prepare(
        ContentStore store, string format, string source, byte[] indexJson, string? requestedName, Func<Descriptor, string> ensure)
    {
        byte[] ReadBlob(Descriptor d)
        {
            ensure(d);
            return store.ReadSmall(d.Digest, $"{source}: blob");
        }

        var (chosen, names) = ManifestSelector.Select(indexJson, source, requestedName, ReadBlob);
        var manifest = ManifestSelector.Parse(ReadBlob(chosen), FormatJsonContext.Default.OciManifest, $"{source}: manifest {chosen.Digest}");
        if (manifest.Config is null || manifest.Layers is null)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{source}: manifest {chosen.Digest} has no config or no layers");
        }

        var config = ManifestSelector.Parse(ReadBlob(manifest.Config), FormatJsonContext.Default.ImageConfigFile,
            $"{source}: config {manifest.Config.Digest}");
        foreach (Descriptor layer in manifest.Layers)
        {
            if (layer.MediaType is { } mt && !mt.Contains("tar", StringComparison.Ordinal))
            {
                throw new SandboxException(ErrorKind.ImageNotFound, $"{source}: layer {layer.Digest} has media type {mt}, which is not a tar layer");
            }

            ensure(layer);
        }

        return new PreparedImage(format, chosen.Digest, config, manifest.Config.Digest, manifest.Layers, names);
    }

    /// <summary>An ensure function for a layout directory: copies blobs/sha256/HEX into the store, verifying it.</summary>
    public static Func<Descriptor, string> FromLayoutDirectory(ContentStore store, string layout, long maxBlobBytes) => d =>
    {
        if (!Digest.IsValid(d.Digest))
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{layout}: '{d.Digest}' is not a sha256 digest");
        }

        if (!store.Has(d.Digest))
        {
            string path = Path.Combine(layout, "blobs", "sha256", Digest.Hex(d.Digest));
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null)
            {
                throw new SandboxException(ErrorKind.ImageNotFound,
                    $"{layout}: blob {d.Digest} is missing or is a symlink ({path})", "a layout's blobs must be regular files");
            }

            using var file = File.OpenRead(path);
            store.Ingest(file, d.Digest, maxBlobBytes, $"{path}");
        }

        return store.BlobPath(d.Digest);
    };

    /// <summary>An ensure function for an archive already ingested whole: the blob must be in the store.</summary>
    public static Func<Descriptor, string> FromIngested(ContentStore store, string archive) => d =>
        store.Has(d.Digest) ? store.BlobPath(d.Digest)
            : throw new SandboxException(ErrorKind.ImageNotFound, $"{archive}: blob {d.Digest} is missing from the archive");
}
