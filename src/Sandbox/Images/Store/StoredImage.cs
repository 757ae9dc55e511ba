using System.Text.Json.Serialization;
using Sandbox.Images.Extraction;

namespace Sandbox.Images.Store;

/// <summary>
/// What the store keeps about one imported image ({root}/images/sha256-HEX/image.json), beside its
/// materialized rootfs: the digests it is made of, the config that `run` honours, and the import report.
/// </summary>
public sealed class StoredImage
{
    public string Digest { get; set; } = string.Empty;
    public string ConfigDigest { get; set; } = string.Empty;
    public List<string> Layers { get; set; } = [];
    public long CompressedSize { get; set; }
    public string Source { get; set; } = string.Empty;
    public DateTimeOffset ImportedAt { get; set; }
    public string Os { get; set; } = "linux";
    public string Architecture { get; set; } = "amd64";
    public List<string> Entrypoint { get; set; } = [];
    public List<string> Cmd { get; set; } = [];
    public List<string> Env { get; set; } = [];
    public string WorkingDir { get; set; } = "/";
    public string? User { get; set; }
    public Dictionary<string, string> Labels { get; set; } = new(StringComparer.Ordinal);
    public ImportReport Report { get; set; } = new();
}

/// <summary>Names (NAME:TAG) -> manifest digest, and every registered image digest (named or not).</summary>
public sealed class RefTable
{
    public Dictionary<string, string> Names { get; set; } = new(StringComparer.Ordinal);
    public List<string> Images { get; set; } = [];
}

/// <summary>One image as `image ls` and `image inspect` show it.</summary>
public sealed record ImageSummary(string Digest, IReadOnlyList<string> Names, long CompressedSize, DateTimeOffset ImportedAt, StoredImage Details);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StoredImage))]
[JsonSerializable(typeof(RefTable))]
[JsonSerializable(typeof(List<ImageSummary>))]
[JsonSerializable(typeof(ImageSummary))]
[JsonSerializable(typeof(ImportResult))]
[JsonSerializable(typeof(RemoveResult))]
public sealed partial class StoreJsonContext : JsonSerializerContext;
