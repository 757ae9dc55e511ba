using System.Text.Json.Serialization;
using Sandbox.Backends.MicroVm.Kernels;

namespace Sandbox.Cli;

/// <summary>Source-generated JSON for --json outputs (NativeAOT has no reflection serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<KernelListing>))]
[JsonSerializable(typeof(PolicyValidJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>`audit verify --json`: the chain's state; the exit code (0 intact, 1 not) is unchanged.</summary>

/// <summary>`policy validate --json` for a valid file (an invalid one is an error object on stderr).</summary>
internal sealed record PolicyValidJson(string Source, bool Valid, int Rules, int Allow, int Deny, string Sha256);
