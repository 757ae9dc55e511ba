using Sandbox.Audit;
using Sandbox.Policy;

namespace Sandbox.Runtime;

/// <summary>
/// Collects what one `sandbox run` learned as it went (policy, evaluation, sandbox ID, applied
/// hardening) and appends the single audit record for it, however it ended.
/// </summary>
public sealed class RunAudit(AuditLog log, RunRequest request)
{
    public PolicyDocument? Policy { get; set; }

    public PolicyEvaluation? Evaluation { get; set; }

    public string? SandboxId { get; set; }

    public AppliedHardening? Applied { get; set; }

    /// <summary>
    /// Written once the bundle is rendered and before the workload starts: if it cannot be written,
    /// the run is refused (no unaudited workload), and if the launcher dies mid-run this record
    /// still says what was started with which hardening.
    /// </summary>
    public AuditRecord Started() => Append("started", null, null);

    /// <param name="report">sandbox analyze: the digest of the report it wrote ("sha256:...").</param>
    public AuditRecord Finished(int exitCode, bool timedOut, string? report = null) =>
        Append(timedOut ? "timeout" : "exited", exitCode, null, report);

    public AuditRecord Failed(Runtime.SandboxException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Kind != ErrorKind.Refused ? Append("failed", e.ExitCode, e.Message)
            : Append("refused", e.ExitCode, e.Message, refusedBy: Evaluation is { Allowed: false } ? "policy" : "check"); // no evaluation yet: not the policy's
    }

    private AuditRecord Append(string outcome, int? exitCode, string? error, string? report = null, string? refusedBy = null) => log.Append((seq, prev) => new AuditRecord
    {
        Seq = seq,
        Prev = prev,
        Time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        Sandbox = SandboxId,
        Uid = Tmds.Linux.LibC.geteuid(),
        LoginUid = LoginUid(),
        Command = [.. request.Command.Select(Host.ByteString.Display)], // JSON holds text: bytes go in CommandBytes
        CommandBytes = request.Command.All(Host.ByteString.IsText) ? null : [.. request.Command.Select(Host.ByteString.Hex)],
        Image = new AuditImage(request.Image, Evaluation?.Facts.ImageDigest),
        Policy = Policy is { } p ? new AuditPolicy(p.Source, p.Sha256) : null,
        Facts = Evaluation?.Facts is { } f ? Sandbox.Policy.Replay.RecordedFacts.ToAudit(f, HostKernelRelease()) : null,
        // The rule that refused (a deny rule overrides the allow rule that decided), else the deciding one.
        Rule = (Evaluation?.Refusal?.Rule ?? Evaluation?.Decision?.Rule) is { } r ? new AuditRule(r.Name, r.File, r.Line) : null,
        Decision = Evaluation?.Decision is { } d ? ToAudit(d) : null,
        Applied = Applied,
        Outcome = outcome,
        ExitCode = exitCode,
        Error = error,
        RefusedBy = refusedBy,
        Report = report,
    });

    public static AuditDecision ToAudit(Decision d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var l = d.Limits;
        return new AuditDecision(
            PolicyNames.Backend(d.Backend), d.SeccompProfile, d.Capabilities, d.Devices, d.Network, d.Kernel,
            d.Volumes, d.Binds, d.AllowEmulation, PolicyNames.Accelerator(d.Accelerator),
            new AuditLimits(l.MemoryBytes, l.Cpus, l.PidsLimit, l.TmpfsBytes, l.OpenFiles), d.Reasons);
    }

    // What kernel: host-provides compared against, so a replay decides as the host did.
    private static string? HostKernelRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    // The audit UID of the login session (unchanged by sudo/su); 4294967295 means unset.
    private static uint? LoginUid()
    {
        try
        {
            return uint.TryParse(File.ReadAllText("/proc/self/loginuid").Trim(), out uint id) && id != uint.MaxValue ? id : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
