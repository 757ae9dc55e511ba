using System.Globalization;
using Sandbox.Audit;
using Sandbox.State;

namespace Sandbox.Lifecycle;

/// <summary>
/// Audit records of the lifecycle verbs that are not a run's own (the supervisor's launcher records
/// started/exited): `stop`, `kill` and `rm`, each naming the sandbox and its image.
/// </summary>
public static class LifecycleAudit
{
    /// <param name="outcome">"stopped", "killed" or "removed".</param>
    public static void Record(AuditLog log, SandboxRecord sandbox, string outcome, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(sandbox);
        log.Append((seq, prev) => new AuditRecord
        {
            Seq = seq,
            Prev = prev,
            Time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            Sandbox = sandbox.Id,
            Uid = Tmds.Linux.LibC.geteuid(),
            Image = new AuditImage(sandbox.Image, sandbox.ImageDigest),
            Outcome = outcome,
            Error = detail,
        });
    }
}
