using System.Text.Json.Serialization;

namespace Sandbox.Volumes;

/// <summary>What `volume inspect` shows; stored as meta.json beside the volume's data.</summary>
public sealed record VolumeInfo(
    string Name,
    DateTimeOffset Created,
    long? SizeBytes,
    string DataPath,
    bool WrittenByUntrusted,
    bool InUse = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(VolumeInfo))]
[JsonSerializable(typeof(List<VolumeInfo>))]
public sealed partial class VolumeJsonContext : JsonSerializerContext;
