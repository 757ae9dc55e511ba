using System.Text.Json.Serialization;
using Sandbox.Backends.MicroVm.Kernels;

namespace Sandbox.Cli;

/// <summary>Source-generated JSON for --json outputs (NativeAOT has no reflection serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<KernelListing>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
