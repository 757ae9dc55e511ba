using System.Text.Json.Serialization;
using Sandbox.Policy.Diff;
using Sandbox.Policy.Testing;

namespace Sandbox.Policy;

/// <summary>Source-generated JSON for `policy test --json` and `policy diff --json` (NativeAOT has no reflection serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(PolicyTestReport))]
[JsonSerializable(typeof(PolicyDiffOutput))]
public sealed partial class PolicyAuditJsonContext : JsonSerializerContext;
