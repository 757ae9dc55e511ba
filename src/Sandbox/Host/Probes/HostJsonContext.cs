using System.Text.Json.Serialization;

namespace Sandbox.Host.Probes;

/// <summary>Source-generated (NativeAOT and trim safe) JSON for `sandbox doctor --json`.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(HostReport))]
public sealed partial class HostJsonContext : JsonSerializerContext;
