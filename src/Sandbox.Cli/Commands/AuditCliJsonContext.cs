using System.Text.Json.Serialization;
using Sandbox.Audit;

namespace Sandbox.Cli.Commands;

/// <summary>Indented JSON for people reading `audit ls/show/verify/rotate --json`; the log itself stays compact.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(AuditRecord))]
[JsonSerializable(typeof(IReadOnlyList<AuditRecord>))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(RotationResult))]
internal sealed partial class AuditCliJsonContext : JsonSerializerContext;
