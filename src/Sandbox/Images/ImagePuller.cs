using System.Text.Json;
using Sandbox.Images.Extraction;
using Sandbox.Images.Formats;
using Sandbox.Images.Registry;
using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>
/// `sandbox image pull REF`: manifest (through an index by platform), config and layers fetched from an
/// OCI distribution registry straight into the store, each verified against its digest as it streams,
/// then materialized and registered exactly like an import.
/// </summary>
public static class ImagePuller
{
    private const int MaxManifestBytes = 4 << 20;

    public static Task<ImportResult> PullAsync(StateRoot root, string text, CancellationToken ct = default) =>
        PullAsync(root, text, new SocketsHttpHandler { AllowAutoRedirect = false }, ExtractionLimits.Default, ct);

    internal static async Task<ImportResult> PullAsync(
        StateRoot root, string text, HttpMessageHandler handler, ExtractionLimits limits, CancellationToken ct)
    {
        RegistryReference reference = RegistryReference.Parse(text);
        using var client = new RegistryClient(handler, reference);
        return await ImageImporter.RunAsync(root, reference.ToString(), reference.StoreName, limits,
            store => PrepareAsync(client, store, reference, limits, ct), interrupt: ct).ConfigureAwait(false);
    }

    private static async Task<PreparedImage> PrepareAsync(
        RegistryClient client, ContentStore store, RegistryReference reference, ExtractionLimits limits, CancellationToken ct)
    {
        string source = reference.ToString();
        var (digest, body) = await ManifestAsync(client, store, reference.Reference, reference.IsDigest ? reference.Reference : null, ct).ConfigureAwait(false);
        if (IsIndex(body))
        {
            var (chosen, _) = ManifestSelector.Select(body, source, null,
                _ => throw new SandboxException(ErrorKind.ImageNotFound, $"pull {source}: nested indexes are not supported"));
            (digest, body) = await ManifestAsync(client, store, chosen.Digest, chosen.Digest, ct).ConfigureAwait(false);
            if (IsIndex(body))
            {
                throw new SandboxException(ErrorKind.ImageNotFound, $"pull {source}: nested indexes are not supported");
            }
        }

        var manifest = ManifestSelector.Parse(body, FormatJsonContext.Default.OciManifest, $"{source}: manifest {digest}");
        if (manifest.Config is null || manifest.Layers is null)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{source}: manifest {digest} has no config or no layers");
        }

        await BlobAsync(client, store, manifest.Config.Digest, MaxManifestBytes, ct).ConfigureAwait(false);
        var config = ManifestSelector.Parse(store.ReadSmall(manifest.Config.Digest, "config"), FormatJsonContext.Default.ImageConfigFile,
            $"{source}: config {manifest.Config.Digest}");
        foreach (Descriptor layer in manifest.Layers)
        {
            await BlobAsync(client, store, layer.Digest, limits.MaxTotalBytes, ct).ConfigureAwait(false);
        }

        return new PreparedImage("registry", digest, config, manifest.Config.Digest, manifest.Layers,
            reference.StoreName is { } name ? [name] : []);
    }

    /// <summary>Fetches a manifest (or index), stores it, and checks it against <paramref name="expected"/> when pinned.</summary>
    private static async Task<(string Digest, byte[] Body)> ManifestAsync(
        RegistryClient client, ContentStore store, string reference, string? expected, CancellationToken ct)
    {
        using var response = await client.GetAsync($"manifests/{reference}", RegistryClient.ManifestTypes, ct).ConfigureAwait(false);
        await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await CopyBoundedAsync(body, buffer, MaxManifestBytes, $"manifest {reference}", ct).ConfigureAwait(false);
        byte[] bytes = buffer.ToArray();
        buffer.Position = 0;
        string digest = store.Ingest(buffer, expected, MaxManifestBytes, $"manifest {reference}");
        return (digest, bytes);
    }

    private static async Task BlobAsync(RegistryClient client, ContentStore store, string digest, long maxBytes, CancellationToken ct)
    {
        if (!Digest.IsValid(digest))
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"pull: '{digest}' is not a sha256 digest");
        }

        if (store.Has(digest))
        {
            return;
        }

        using var response = await client.GetAsync($"blobs/{digest}", [], ct).ConfigureAwait(false);
        await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        store.Ingest(body, digest, maxBytes, $"blob {digest}"); // hashed while streaming to disk; a mismatch is discarded
    }

    private static async Task CopyBoundedAsync(Stream from, Stream to, long max, string what, CancellationToken ct)
    {
        byte[] chunk = new byte[81920];
        long total = 0;
        int n;
        while ((n = await from.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            total += n;
            if (total > max)
            {
                throw new SandboxException(ErrorKind.ImageNotFound, $"pull: {what} is larger than {max} bytes");
            }

            await to.WriteAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
        }
    }

    private static bool IsIndex(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && (doc.RootElement.TryGetProperty("manifests", out _)
                || (doc.RootElement.TryGetProperty("mediaType", out var mt) && MediaTypes.IsIndex(mt.GetString())));
        }
        catch (JsonException)
        {
            return false; // parsing it as a manifest reports the error with its name
        }
    }
}
