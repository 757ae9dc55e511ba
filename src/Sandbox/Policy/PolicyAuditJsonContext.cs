using System.Text.Json.Serialization;
using Sandbox.Policy.Diff;
using Sandbox.Policy.Testing;

namespace Sandbox.Policy;

/// <summary>Source-generated JSON for `policy test --json` and `policy diff --json` (NativeAOT has no reflection serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(PolicyTestReport))]
[JsonSerializable(typeof(PolicyDiffOutput))]
public sealed partial class PolicyAuditJsonContext : JsonSerializerContext
{
    /// <summary>For terminals and files, not HTML: "->" and "&amp;" stay as written.</summary>
    // Built on first use: static initializers of partial classes run in no guaranteed order.
    public static PolicyAuditJsonContext Relaxed => relaxed ??= new(new System.Text.Json.JsonSerializerOptions(Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static PolicyAuditJsonContext? relaxed;
}
