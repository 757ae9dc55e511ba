using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandbox.Audit;
using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Host.Cgroups;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Telemetry;
using Sandbox.Volumes;

namespace Sandbox.Runtime;

/// <summary>
/// `sandbox run`: decide by policy, resolve the image, apply the decision to a neutral workload
/// spec, and drive the decided backend through create, start, wait and delete, tearing everything
/// down whatever happens (exit, error, timeout, signal). Every run and every refusal is audited.
/// What a backend does is the backend's; this class only decides and orchestrates.
/// </summary>
public sealed partial class Launcher(
    StateRoot root, Func<string, OciSeccomp> seccompFor, PolicyEngine engine, BackendRegistry backends, IOptions<SandboxOptions> options, ILogger<Launcher> log)
{
    private readonly PhaseTrace trace = new(options.Value.Trace);

    /// <summary>What policy would decide for <paramref name="request"/>, without running anything.</summary>
    public PolicyEvaluation Explain(RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = request with { Volumes = HostBindPath.Canonicalize(request.Volumes) }; // policy judges the real host paths
        PolicyDocument policy = PolicyLoader.Resolve(request.PolicyFile);
        Image image = ImageResolver.Resolve(root, request.Image);
        return engine.Evaluate(policy, WorkloadFactsBuilder.From(request, image, new VolumeStore(root)));
    }

    public Task<int> RunAsync(RunRequest request, WorkloadIo io, CancellationToken ct = default) => RunAsync(request, io, null, ct);

    /// <param name="observe">Told of the sandbox once created and again once it ended (a supervisor signals it through this).</param>
    public async Task<int> RunAsync(RunRequest request, WorkloadIo io, Action<ISandbox, SandboxState>? observe, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        trace.Mark("command line parsed");
        _ = CgroupAttachWarmup.Start(); // the runtime's cgroup attach then waits less (see there)
        var audit = new RunAudit(AuditLog.For(root), request);
        return await AuditedAsync(audit, async () =>
        {
            request = request with { Volumes = HostBindPath.Canonicalize(request.Volumes) }; // policy judges the real host paths and they are what gets mounted
            audit.Policy = PolicyLoader.Resolve(request.PolicyFile);
            Image resolved = ImageResolver.Resolve(root, request.Image);
            using var inUse = ImageUse.Hold(resolved); // `image rm` refuses while this run lasts
            audit.Evaluation = engine.Evaluate(audit.Policy, WorkloadFactsBuilder.From(request, resolved, new VolumeStore(root)));
            Decision decision = audit.Evaluation.Require();
            trace.Mark("policy decided");
            ISandboxBackend backend = backends.For(decision.Backend);
            backend.Admit(decision);

            // A host directory is read only once policy granted it, and only into a sanitised store copy.
            Image image = resolved.HostPath is null ? resolved : PathImage.Import(root, resolved, request.Trust == TrustLevel.Trusted, ct);
            using var pathUse = resolved.HostPath is null ? null : ImageUse.Hold(image);
            var spec = WorkloadSpecBuilder.Build(request, image, decision, seccompFor(decision.SeccompProfile));
            await backend.PreflightAsync(spec, request.Volumes, ct).ConfigureAwait(false);
            trace.Mark("spec built, backend ready");
            audit.SandboxId = spec.Id;
            var exit = await WithVolumesAsync(request, decision, binds => RunAsync(backend, spec with { Mounts = binds }, io, audit, observe, ct), ct)
                .ConfigureAwait(false);
            audit.Finished(exit.ExitCode, exit.TimedOut);
            trace.Mark("exit audited");
            return exit.ExitCode;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one audited action: a failure is recorded as the record's outcome and rethrown; one that
    /// nothing mapped where it was thrown is still a 125 with one line, and audited as failed.
    /// </summary>
    private static async Task<int> AuditedAsync(RunAudit audit, Func<Task<int>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (SandboxException e)
        {
            Record(audit, e);
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SandboxException failure = Failures.Unmapped(e);
            Record(audit, failure);
            throw failure;
        }
    }

    // A failure to audit a failure must not hide the failure: report both.
    private static void Record(RunAudit audit, SandboxException e)
    {
        try
        {
            audit.Failed(e);
        }
        catch (Exception auditError) when (!ReferenceEquals(auditError, e) && auditError is not OutOfMemoryException)
        {
            throw new SandboxException(e.Kind, $"{e.Message}; and it could not be audited: {auditError.Message}", e.Hint, e);
        }
    }

    /// <summary>
    /// One sandbox's lifecycle: created (audited as started once its hardening is known, before
    /// anything runs), started, waited for, and deleted whatever happened.
    /// </summary>
    private async Task<WorkloadExit> RunAsync(ISandboxBackend backend, WorkloadSpec spec, WorkloadIo io, RunAudit audit, Action<ISandbox, SandboxState>? observe, CancellationToken ct)
    {
        string kind = PolicyNames.Backend(backend.Kind);
        var exit = await backend.RunToCompletionAsync(spec, io, (sandbox, state) =>
        {
            audit.Applied = sandbox.Applied; // after the run: with the backend's own confirmation, if it gave one (a microVM guest)
            if (state == SandboxState.Created)
            {
                Created(log, kind, sandbox.Id);
                trace.Mark("created");
                audit.Started();
                trace.Mark("start audited");
            }
            else
            {
                trace.Mark("exited");
            }

            observe?.Invoke(sandbox, state);
        }, ct).ConfigureAwait(false);
        trace.Mark("deleted");
        Exited(log, spec.Id, exit.ExitCode, exit.TimedOut);
        return exit;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Backend} sandbox {Id} created: prepared, nothing running")]
    private static partial void Created(ILogger logger, string backend, string id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "sandbox {Id} exited {ExitCode} (timed out: {TimedOut}) and was deleted")]
    private static partial void Exited(ILogger logger, string id, int exitCode, bool timedOut);


    /// <summary>
    /// Holds each requested volume for the run (creating missing ones), then runs it in either backend.
    /// An untrusted sandbox writes only to sized volumes, at most the decision's volume size, and a
    /// volume it creates gets that size: whatever it writes, the host's disk does not fill.
    /// </summary>
    private async Task<T> WithVolumesAsync<T>(RunRequest request, Decision decision, Func<IReadOnlyList<VolumeBind>, Task<T>> run, CancellationToken ct)
    {
        var store = new VolumeStore(root);
        var uses = new List<VolumeLease>();
        try
        {
            var binds = new List<VolumeBind>();
            foreach (var spec in request.Volumes)
            {
                if (spec.IsBind)
                {
                    binds.Add(new VolumeBind(spec.Source, spec.Target, spec.ReadOnly) { IsHostPath = true }); // canonical, granted by policy
                    continue;
                }

                bool sizedOnly = request.Trust == TrustLevel.Untrusted && !spec.ReadOnly;
                var use = await store.AcquireAsync(spec.Source, createIfMissing: true, sizedOnly ? decision.Limits.VolumeBytes : null, ct).ConfigureAwait(false);
                uses.Add(use);
                if (sizedOnly)
                {
                    RequireSized(use.Info, decision.Limits.VolumeBytes);
                }

                binds.Add(new VolumeBind(use.Info.DataPath, spec.Target, spec.ReadOnly));
                if (request.Trust == TrustLevel.Untrusted && !spec.ReadOnly)
                {
                    store.MarkWrittenByUntrusted(spec.Source); // policy can keep trusted sandboxes from writing it later
                }
            }

            return await run(binds).ConfigureAwait(false);
        }
        finally
        {
            uses.ForEach(u => u.Dispose());
        }
    }

    private static void RequireSized(VolumeInfo volume, long ceiling)
    {
        if (volume.SizeBytes is not { } size)
        {
            throw new SandboxException(ErrorKind.Refused,
                $"refused: volume '{volume.Name}' has no size limit, and an untrusted sandbox writes only to sized volumes",
                $"mount it read-only (-v {volume.Name}:/path:ro), or give the workload a sized volume: sandbox volume create NAME --size {PolicyNames.Size(ceiling)}");
        }

        if (size > ceiling)
        {
            throw new SandboxException(ErrorKind.Refused,
                $"refused: volume '{volume.Name}' is {PolicyNames.Size(size)}, above the {PolicyNames.Size(ceiling)} the policy lets an untrusted sandbox write",
                $"mount it read-only, or use a volume of at most {PolicyNames.Size(ceiling)} (the rule's limits.volumeSize)");
        }
    }
}
