using System.Security.Cryptography;
using Sandbox.Audit;
using Sandbox.Backends.Container;
using Sandbox.Images;
using Sandbox.Policy;

namespace Sandbox.Runtime;

/// <summary>
/// `sandbox run`: decide by policy, resolve the image, render the bundle, run it, and tear everything
/// down whatever happens (exit, error, timeout, signal). Every run and every refusal is audited.
/// </summary>
public sealed class Launcher(StateRoot root, Func<string, OciSeccomp> seccompFor, PolicyEngine engine)
{
    private const string Hostname = "sandbox";

    /// <summary>What policy would decide for <paramref name="request"/>, without running anything.</summary>
    public PolicyEvaluation Explain(RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        PolicyDocument policy = PolicyLoader.Resolve(request.PolicyFile);
        Image image = ImageResolver.Resolve(root, request.Image);
        return engine.Evaluate(policy, WorkloadFactsBuilder.From(request, image));
    }

    public async Task<int> RunAsync(RunRequest request, WorkloadIo io, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var audit = new RunAudit(AuditLog.For(root), request);
        try
        {
            audit.Policy = PolicyLoader.Resolve(request.PolicyFile);
            Image image = ImageResolver.Resolve(root, request.Image);
            audit.Evaluation = engine.Evaluate(audit.Policy, WorkloadFactsBuilder.From(request, image));
            Decision decision = audit.Evaluation.Require();
            RefuseWhatTheBackendCannotApply(decision);
            var seccomp = seccompFor(decision.SeccompProfile);
            var plan = Plan(request, image, decision, seccomp);

            await OrphanReaper.ReapRunsAsync(root).ConfigureAwait(false);
            var runtime = await RuntimeSelector.SelectAsync(root, request.Runtime, TrialAsync).ConfigureAwait(false);
            audit.SandboxId = plan.Id;
            var outcome = await RunContainerAsync(runtime, plan, io, request.Timeout, audit, ct).ConfigureAwait(false);
            if (outcome.EngineError is { } error)
            {
                var (kind, message) = RuntimeLog.Classify(error);
                throw new SandboxException(kind, $"{runtime.Name} could not start the workload: {message}");
            }

            if (outcome.TimedOut)
            {
                await io.Stderr.WriteAsync(System.Text.Encoding.UTF8.GetBytes(
                    $"sandbox: --timeout {request.Timeout!.Value.TotalSeconds:0.###}s reached; the workload was killed\n"), ct).ConfigureAwait(false);
            }

            audit.Finished(outcome.ExitCode, outcome.TimedOut);
            return outcome.ExitCode;
        }
        catch (SandboxException e)
        {
            Record(audit, e);
            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Record(audit, new SandboxException(ErrorKind.StateConflict, e.Message, inner: e));
            throw;
        }
    }

    // A failure to audit a failure must not hide the failure: report both.
    private static void Record(RunAudit audit, SandboxException e)
    {
        try
        {
            audit.Failed(e);
        }
        catch (SandboxException auditError) when (!ReferenceEquals(auditError, e))
        {
            throw new SandboxException(e.Kind, $"{e.Message}; and it could not be audited: {auditError.Message}", e.Hint, e);
        }
    }

    // Fail closed: grants the container backend cannot honour yet are refused, never dropped.
    private static void RefuseWhatTheBackendCannotApply(Decision decision)
    {
        if (decision.Backend == BackendKind.MicroVm)
        {
            throw new SandboxException(ErrorKind.Refused, $"refused: {HostBackendAvailability.NoMicroVm} (decided by {decision.Rule})",
                "the decision is never weakened to a container; if you trust this workload, run it with --trust trusted");
        }

        if (!decision.Volumes.IsEmpty || !decision.Binds.IsEmpty)
        {
            throw new SandboxException(ErrorKind.Refused, "refused: -v/--volume: named volumes and bind mounts are not available yet");
        }

        if (!decision.Capabilities.IsEmpty || !decision.Devices.IsEmpty)
        {
            throw new SandboxException(ErrorKind.Refused, "refused: the container backend cannot grant capabilities or devices yet");
        }
    }

    /// <summary>Runs one plan with a fresh ID lease and run directory, and removes both afterwards.</summary>
    private async Task<ContainerOutcome> RunContainerAsync(
        OciRuntime runtime, ContainerPlanDraft draft, WorkloadIo io, TimeSpan? timeout, RunAudit? audit, CancellationToken ct)
    {
        string id = draft.Id;
        string record = OrphanReaper.Record(runtime, id);
        using var lease = IdLease.Acquire(record);
        if (lease.PreviousHolder is { } stale)
        {
            await OrphanReaper.ReapRecordAsync(stale).ConfigureAwait(false); // its container may still hold these IDs
        }

        string runDir = Path.Combine(root.Ensure(root.Runs), id);
        Directory.CreateDirectory(runDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            using (var owner = new FileStream(Path.Combine(runDir, OrphanReaper.OwnerFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                owner.Write(System.Text.Encoding.UTF8.GetBytes(record));
                owner.Flush();
                var spec = OciSpecBuilder.Build(draft.ToPlan(lease.Range));
                string config = Path.Combine(runDir, "config.json");
                await File.WriteAllTextAsync(config, OciSpecBuilder.ToJson(spec), ct).ConfigureAwait(false);
                if (audit is not null)
                {
                    audit.Applied = AppliedHardeningReader.FromBundle(config, runtime.Name, draft.SeccompProfile);
                    audit.Started();
                }

                try
                {
                    return await ContainerRunner.RunAsync(runtime, runDir, id, io, timeout, ct).ConfigureAwait(false);
                }
                finally
                {
                    await runtime.DeleteAsync(id).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    /// <summary>crun's trial: the same hardened bundle, running /bin/true from the built-in image. Not audited.</summary>
    private async Task<bool> TrialAsync(OciRuntime candidate)
    {
        Image busybox = BusyboxImage.Get(root);
        var request = new RunRequest { Image = busybox.Reference, Command = ["/bin/true"], Trust = TrustLevel.Trusted };
        var decision = new Decision(BackendKind.Container, "default", ResourceLimits.Default, "internal: OCI runtime trial run");
        var plan = Plan(request, busybox, decision, seccompFor("default"));
        var outcome = await RunContainerAsync(candidate, plan, WorkloadIo.Null, TimeSpan.FromSeconds(30), null, CancellationToken.None)
            .ConfigureAwait(false);
        return outcome.ExitCode == 0 && outcome.EngineError is null;
    }

    private static ContainerPlanDraft Plan(RunRequest request, Image image, Decision decision, OciSeccomp seccomp)
    {
        IReadOnlyList<string> args = request.Command.Count > 0 ? request.Command : image.DefaultCommand;
        var env = EnvironmentBuilder.Build(image.DefaultEnv, request.Uid, Hostname, request.Env);
        string cwd = request.WorkingDir ?? image.DefaultWorkingDir;
        WorkloadChecks.Command(image, args[0], env);
        WorkloadChecks.WorkingDir(image, cwd);
        return new ContainerPlanDraft(NewId(), image.RootfsPath, args, env, cwd, request.Uid, request.Gid,
            Hostname, decision.Limits, seccomp, decision.SeccompProfile);
    }

    private static string NewId() => "sb-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>A plan before its ID range is known (the lease is taken just before the run).</summary>
    private sealed record ContainerPlanDraft(
        string Id, string Rootfs, IReadOnlyList<string> Args, IReadOnlyList<string> Env, string Cwd,
        uint Uid, uint Gid, string Hostname, ResourceLimits Limits, OciSeccomp Seccomp, string SeccompProfile)
    {
        public ContainerPlan ToPlan(IdRange ids) =>
            new(Id, Rootfs, Args, Env, Cwd, Uid, Gid, ids, Hostname, Limits, Seccomp);
    }
}
