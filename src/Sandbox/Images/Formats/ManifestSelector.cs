using System.Runtime.InteropServices;
using System.Text.Json;
using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images.Formats;

/// <summary>
/// Picks the one image manifest an OCI index designates: by ref name when the index holds several
/// (refusing with the list otherwise), and by platform (linux/this host's architecture) through nested indexes.
/// </summary>
internal static class ManifestSelector
{
    private const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    public static string HostArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>Returns the manifest descriptor and the ref names it carried.</summary>
    public static (Descriptor Manifest, List<string> Names) Select(
        byte[] indexJson, string source, string? requestedName, Func<Descriptor, byte[]> readBlob)
    {
        var index = Parse(indexJson, FormatJsonContext.Default.OciIndex, $"{source}: index.json");
        var candidates = index.Manifests ?? [];
        if (candidates.Count > 1 && requestedName is not null)
        {
            string tag = ImageReference.Tag(requestedName);
            var named = candidates.Where(d => RefName(d) is { } n && (n == tag || ImageReference.Normalize(n) == requestedName)).ToList();
            if (named.Count > 0)
            {
                candidates = named;
            }
        }

        if (candidates.Count == 0)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{source}: the index lists no image");
        }

        bool byPlatform = candidates.Count > 1 && candidates.All(d => d.Platform is not null);
        if (candidates.Count > 1 && !byPlatform && candidates.Any(d => !MediaTypes.IsIndex(d.MediaType)))
        {
            string names = string.Join(", ", candidates.Select(d => RefName(d) ?? Digest.Abbreviate(d.Digest)));
            throw new SandboxException(ErrorKind.InvalidArgument, $"{source} holds {candidates.Count} images: {names}",
                "pick one with --name NAME:TAG (the tag is matched against the image's ref name)");
        }

        Descriptor chosen = candidates.Count == 1 ? candidates[0] : ByPlatform(candidates, source); // several: a multi-platform index
        var names2 = RefName(chosen) is { } r ? new List<string> { r } : [];
        for (int depth = 0; MediaTypes.IsIndex(chosen.MediaType); depth++)
        {
            if (depth > 4)
            {
                throw new SandboxException(ErrorKind.ImageNotFound, $"{source}: indexes nest too deeply");
            }

            var nested = Parse(readBlob(chosen), FormatJsonContext.Default.OciIndex, $"{source}: index {chosen.Digest}");
            chosen = ByPlatform(nested.Manifests ?? [], source);
        }

        return (chosen, names2);
    }

    public static T Parse<T>(byte[] json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new SandboxException(ErrorKind.ImageNotFound, $"{what} is not valid JSON: {e.Message}");
        }
    }

    private static Descriptor ByPlatform(List<Descriptor> manifests, string source)
    {
        string arch = HostArchitecture;
        return manifests.FirstOrDefault(d => d.Platform is { Os: "linux" } p && p.Architecture == arch)
            ?? throw new SandboxException(ErrorKind.ImageNotFound,
                $"{source} has no image for linux/{arch}; it has: {string.Join(", ", manifests.Select(d => $"{d.Platform?.Os}/{d.Platform?.Architecture}"))}");
    }

    private static string? RefName(Descriptor d) => d.Annotations?.GetValueOrDefault(RefNameAnnotation);
}
