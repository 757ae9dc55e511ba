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

    /// <summary>
    /// An ensure function for a layout directory (<paramref name="layout"/>, read through the opened
    /// directory; <paramref name="shown"/> in messages): copies blobs/sha256/HEX into the store, verifying
    /// it. A blob that is a symlink, FIFO or device is refused before it is read.
    /// </summary>
    public static Func<Descriptor, string> FromLayoutDirectory(ContentStore store, string layout, string shown, long maxBlobBytes) => d =>
    {
        if (!Digest.IsValid(d.Digest))
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{shown}: '{d.Digest}' is not a sha256 digest");
        }

        if (!store.Has(d.Digest))
        {
            string blob = Path.Combine("blobs", "sha256", Digest.Hex(d.Digest));
            if (!File.Exists(Path.Combine(layout, blob)) && !Directory.Exists(Path.Combine(layout, blob)))
            {
                throw new SandboxException(ErrorKind.ImageNotFound, $"{shown}: blob {d.Digest} is missing ({Path.Combine(shown, blob)})",
                    "a layout's blobs must be regular files");
            }

            using FileStream file = SourceFile.OpenRegular(Path.Combine(layout, blob), Path.Combine(shown, blob));
            store.Ingest(file, d.Digest, maxBlobBytes, Path.Combine(shown, blob));
        }

        return store.BlobPath(d.Digest);
    };

    /// <summary>An ensure function for an archive already ingested whole: the blob must be in the store.</summary>
    public static Func<Descriptor, string> FromIngested(ContentStore store, string archive) => d =>
        store.Has(d.Digest) ? store.BlobPath(d.Digest)
            : throw new SandboxException(ErrorKind.ImageNotFound, $"{archive}: blob {d.Digest} is missing from the archive");
}
