using System.Globalization;
using Sandbox.Audit;
using Sandbox.State;

namespace Sandbox.Lifecycle;

/// <summary>
/// Audit records of the lifecycle verbs that are not a run's own (the supervisor's launcher records
/// started/exited): `stop`, `kill`, `rm`, `exec` and `cp`, each naming the sandbox and its image.
/// </summary>
public static class LifecycleAudit
{
    /// <param name="outcome">"stopped", "killed" or "removed".</param>
    public static void Record(AuditLog log, SandboxRecord sandbox, string outcome, string? detail = null) =>
        Append(log, sandbox, outcome, r => r with { Error = detail });

    /// <summary>`exec`: who ran which command in the sandbox, and its exit code (125 and the reason when it could not run).</summary>
    public static void RecordExec(AuditLog log, SandboxRecord sandbox, IReadOnlyList<string> command, int exitCode, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        Append(log, sandbox, "exec", r => r with
        {
            Command = command,
            CommandBytes = command.All(Host.ByteString.IsText) ? null : [.. command.Select(Host.ByteString.Hex)],
            ExitCode = exitCode,
            Error = error,
        });
    }

    /// <summary>`cp`: the direction, the path in the sandbox, and the bytes moved with their digest.</summary>
    public static void RecordCopy(AuditLog log, SandboxRecord sandbox, AuditCopy copy, string? error = null) =>
        Append(log, sandbox, "cp", r => r with
        {
            Copy = copy,
            ExitCode = error is null ? 0 : Runtime.ExitCodes.SandboxFailed,
            Error = error,
        });

    /// <summary>One <paramref name="outcome"/> record naming the sandbox, its image and who acted (UID and login UID), completed by <paramref name="complete"/>.</summary>
    private static void Append(AuditLog log, SandboxRecord sandbox, string outcome, Func<AuditRecord, AuditRecord> complete)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(sandbox);
        log.Append((seq, prev) => complete(new AuditRecord
        {
            Seq = seq,
            Prev = prev,
            Time = Now(),
            Sandbox = sandbox.Id,
            Uid = Tmds.Linux.LibC.geteuid(),
            LoginUid = LoginUid(),
            Image = new AuditImage(sandbox.Image, sandbox.ImageDigest),
            Outcome = outcome,
        }));
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // The audit UID of the login session (unchanged by sudo/su); 4294967295 means unset.
    private static uint? LoginUid()
    {
        try
        {
            return uint.TryParse(File.ReadAllText("/proc/self/loginuid").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out uint id) && id != uint.MaxValue ? id : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
