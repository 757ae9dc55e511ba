using Sandbox.Audit;
using Sandbox.Policy;
using Sandbox.Policy.Replay;
using Sandbox.Profiles;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Runtime;

/// <summary>What nothing mapped still becomes a 125 with one line naming it, audited as `failed`.</summary>
public sealed class FailuresTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-failures-").FullName;

    [Fact]
    public void A_bug_is_an_internal_error_naming_its_type_and_message()
    {
        SandboxException e = Failures.Unmapped(new InvalidOperationException("Sequence contains no elements"));
        Assert.Equal(ErrorKind.Internal, e.Kind);
        Assert.Equal(125, e.ExitCode);
        Assert.Equal("the launcher failed: internal error (InvalidOperationException): Sequence contains no elements", e.Message);
        Assert.Contains("SANDBOX_DEBUG=1", e.Hint, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(e.InnerException); // its stack trace, for SANDBOX_DEBUG=1
    }

    [Fact]
    public void A_host_io_error_is_named_as_such_not_as_a_state_conflict()
    {
        SandboxException e = Failures.Unmapped(new IOException("No space left on device : '/var/lib/sandbox/run/sb-1/config.json'"));
        Assert.Equal(ErrorKind.Internal, e.Kind);
        Assert.Equal("the launcher failed: host I/O error: No space left on device : '/var/lib/sandbox/run/sb-1/config.json'", e.Message);
    }

    [Fact]
    public void A_mapped_failure_passes_through_unchanged()
    {
        var mapped = new SandboxException(ErrorKind.Refused, "refused: x");
        Assert.Same(mapped, Failures.Unmapped(mapped));
    }

    [Fact]
    public void Its_audit_record_says_failed_with_the_reason()
    {
        var log = new AuditLog(Path.Combine(_dir, "audit", "audit.log"));
        var audit = new RunAudit(log, new RunRequest { Image = "busybox", Command = ["true"] });
        AuditRecord record = audit.Failed(Failures.Unmapped(new NotSupportedException("boom")));
        Assert.Equal(("failed", 125), (record.Outcome, record.ExitCode));
        Assert.Equal("the launcher failed: internal error (NotSupportedException): boom", record.Error);
    }

    [Fact]
    public void A_refusal_record_says_whether_the_policy_or_a_later_check_refused()
    {
        var log = new AuditLog(Path.Combine(_dir, "audit", "audit.log"));
        var refusal = new SandboxException(ErrorKind.Refused, "refused: volume 'v' has no size limit");
        var engine = new PolicyEngine(new RecordedHost("6.1.0", Accelerator.Kvm), ProfileCatalog.Resolve);
        PolicyEvaluation Evaluate(long? memory) => engine.Evaluate(PolicyLoader.Builtin(),
            new WorkloadFacts { Trust = TrustLevel.Untrusted, ImageReference = "busybox", MemoryBytes = memory });

        var allowed = new RunAudit(log, new RunRequest { Image = "busybox" }) { Evaluation = Evaluate(null) };
        Assert.True(allowed.Evaluation.Allowed);
        AuditRecord checkRecord = allowed.Failed(refusal);
        Assert.Equal(("refused", "check"), (checkRecord.Outcome, checkRecord.RefusedBy));

        var refused = new RunAudit(log, new RunRequest { Image = "busybox" }) { Evaluation = Evaluate(64L << 30) }; // above the policy's ceiling
        Assert.False(refused.Evaluation.Allowed);
        AuditRecord policyRecord = refused.Failed(refused.Evaluation.Refusal!.ToException());
        Assert.Equal(("refused", "policy"), (policyRecord.Outcome, policyRecord.RefusedBy));
        Assert.Null(new RunAudit(log, new RunRequest { Image = "busybox" }).Failed(Failures.Unmapped(new NotSupportedException("boom"))).RefusedBy);
        Assert.Equal("check", new RunAudit(log, new RunRequest { Image = "busybox" }).Failed(refusal).RefusedBy); // refused before the policy was asked
    }

    [Fact]
    public void A_state_directory_that_cannot_be_created_names_it()
    {
        string file = Path.Combine(_dir, "not-a-dir");
        File.WriteAllText(file, "x");
        var root = new StateRoot(file);
        var e = Assert.Throws<SandboxException>(() => root.Ensure(root.Runs));
        Assert.StartsWith($"state directory {file}/run cannot be created or written: ", e.Message, StringComparison.Ordinal);
        Assert.Equal(125, e.ExitCode);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
