using System.Text.Json.Serialization;

namespace Sandbox.Images.Formats;

/// <summary>The OCI media types this importer reads and writes.</summary>
internal static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerList;
}

internal sealed record Platform(
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("os")] string? Os,
    [property: JsonPropertyName("variant")] string? Variant);

internal sealed record Descriptor(
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("platform"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Platform? Platform = null,
    [property: JsonPropertyName("annotations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string>? Annotations = null);

internal sealed record OciIndex(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("manifests")] List<Descriptor>? Manifests);

internal sealed record OciManifest(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("config")] Descriptor? Config,
    [property: JsonPropertyName("layers")] List<Descriptor>? Layers);

internal sealed record ContainerConfig(
    [property: JsonPropertyName("Entrypoint")] List<string>? Entrypoint,
    [property: JsonPropertyName("Cmd")] List<string>? Cmd,
    [property: JsonPropertyName("Env")] List<string>? Env,
    [property: JsonPropertyName("WorkingDir")] string? WorkingDir,
    [property: JsonPropertyName("User")] string? User,
    [property: JsonPropertyName("Labels")] Dictionary<string, string>? Labels);

internal sealed record RootfsSection(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("diff_ids")] List<string>? DiffIds);

internal sealed record ImageConfigFile(
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("os")] string? Os,
    [property: JsonPropertyName("config")] ContainerConfig? Config,
    [property: JsonPropertyName("rootfs")] RootfsSection? Rootfs);

/// <summary>One image of a docker-archive's manifest.json (`docker save`, `podman save`).</summary>
internal sealed record DockerArchiveEntry(
    [property: JsonPropertyName("Config")] string? Config,
    [property: JsonPropertyName("RepoTags")] List<string>? RepoTags,
    [property: JsonPropertyName("Layers")] List<string>? Layers);
