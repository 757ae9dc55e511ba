using System.Text.Json.Serialization;

namespace Sandbox.Audit;

/// <summary>
/// One line of the audit log (schema version 1). Written once, never changed: <see cref="Prev"/>
/// is the SHA-256 of the previous line's exact bytes (or the genesis value) and <see cref="Hash"/>
/// the SHA-256 of this record serialized without it, so an edit, deletion or reordering shows.
/// </summary>
public sealed record AuditRecord
{
    public int V { get; init; } = 1;

    /// <summary>Position in the log, from 1; `audit show` takes it as the record's ID.</summary>
    public long Seq { get; init; }

    /// <summary>UTC, ISO 8601 with milliseconds.</summary>
    public required string Time { get; init; }

    /// <summary>The sandbox ID (sb-...) when the run got that far.</summary>
    public string? Sandbox { get; init; }

    /// <summary>Effective UID of the launcher.</summary>
    public uint Uid { get; init; }

    /// <summary>The login UID (/proc/self/loginuid): who is behind sudo; null when unset.</summary>
    public uint? LoginUid { get; init; }

    /// <summary>The workload command as requested (empty: the image's default).</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>
    /// When an argument is not UTF-8: every argument's exact bytes, in hex (<see cref="Command"/> then
    /// shows those bytes as U+FFFD). Null for a UTF-8 command line.
    /// </summary>
    public IReadOnlyList<string>? CommandBytes { get; init; }

    public required AuditImage Image { get; init; }

    public AuditPolicy? Policy { get; init; }

    /// <summary>What policy decided on (trust, image, command, volumes, binds, limits…); absent in records of older versions.</summary>
    public AuditFacts? Facts { get; init; }

    public AuditRule? Rule { get; init; }

    public AuditDecision? Decision { get; init; }

    public AppliedHardening? Applied { get; init; }

    /// <summary>
    /// started (written before the workload runs, so no workload runs unaudited), then one of
    /// exited, timeout, refused or failed; the lifecycle verbs add stopped, killed and removed.
    /// </summary>
    public required string Outcome { get; init; }

    /// <summary>The exit code `sandbox run` returned; null for a started record.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The refusal or failure message, when there was one.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// A refused run: "policy" when the policy refused it, "check" when something else did (a volume's
    /// size after the policy allowed the run, the host); absent otherwise and in older records.
    /// `policy diff --audit` replays only the policy's verdict.
    /// </summary>
    public string? RefusedBy { get; init; }

    /// <summary>sandbox analyze: "sha256:..." of the report.json it produced; absent for runs.</summary>
    public string? Report { get; init; }

    /// <summary>sandbox cp: what was copied, which way; absent for every other record.</summary>
    public AuditCopy? Copy { get; init; }

    public string Prev { get; init; } = "";

    /// <summary>HMAC-SHA256 of the record without <see cref="Mac"/> and <see cref="Hash"/>, under the audit key; null in an unkeyed log.</summary>
    public string? Mac { get; init; }

    public string? Hash { get; init; }
}

public sealed record AuditImage(string Reference, string? Digest);

/// <summary>One `sandbox cp`: "in" (host to sandbox) or "out", the path in the sandbox, and the bytes moved (a file's content, or the tar of a tree) with their SHA-256.</summary>
public sealed record AuditCopy(string Direction, string Path, long Bytes, string Sha256);

public sealed record AuditPolicy(string Source, string Sha256);

public sealed record AuditRule(string Name, string File, int Line);

public sealed record AuditLimits(long MemoryBytes, double Cpus, long PidsLimit, long TmpfsBytes, ulong OpenFiles);

/// <summary>The decision as policy made it (compare with <see cref="AuditRecord.Applied"/>).</summary>
public sealed record AuditDecision(
    string Backend,
    string SeccompProfile,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> Devices,
    string Network,
    string? Kernel,
    IReadOnlyList<string> Volumes,
    IReadOnlyList<string> Binds,
    bool AllowEmulation,
    string Accelerator,
    AuditLimits Limits,
    IReadOnlyList<string> Reasons);

/// <summary>Compact, null members left out, unknown members refused on read (an added field is a tamper).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = false)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
