using Sandbox.Audit;
using Sandbox.Backends.Container;
using Sandbox.Backends.MicroVm;
using Sandbox.Backends.MicroVm.Qemu;
using Sandbox.Host;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Volumes;

namespace Sandbox.Runtime;

/// <summary>
/// `sandbox run`: decide by policy, resolve the image, render the bundle, run it, and tear everything
/// down whatever happens (exit, error, timeout, signal). Every run and every refusal is audited.
/// </summary>
public sealed partial class Launcher(StateRoot root, Func<string, OciSeccomp> seccompFor, PolicyEngine engine, IAcceleratorProbe accelerators)
{
    /// <summary>The sandbox's hostname unless --hostname names another.</summary>
    public const string DefaultHostname = "sandbox";

    /// <summary>What policy would decide for <paramref name="request"/>, without running anything.</summary>
    public PolicyEvaluation Explain(RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = request with { Volumes = HostBindPath.Canonicalize(request.Volumes) }; // policy judges the real host paths
        PolicyDocument policy = PolicyLoader.Resolve(request.PolicyFile);
        Image image = ImageResolver.Resolve(root, request.Image);
        return engine.Evaluate(policy, WorkloadFactsBuilder.From(request, image, new VolumeStore(root)));
    }

    public async Task<int> RunAsync(RunRequest request, WorkloadIo io, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var audit = new RunAudit(AuditLog.For(root), request);
        try
        {
            request = request with { Volumes = HostBindPath.Canonicalize(request.Volumes) }; // policy judges the real host paths and they are what gets mounted
            audit.Policy = PolicyLoader.Resolve(request.PolicyFile);
            Image resolved = ImageResolver.Resolve(root, request.Image);
            using var inUse = ImageUse.Hold(resolved); // `image rm` refuses while this run lasts
            audit.Evaluation = engine.Evaluate(audit.Policy, WorkloadFactsBuilder.From(request, resolved, new VolumeStore(root)));
            Decision decision = audit.Evaluation.Require();
            RefuseWhatTheBackendCannotApply(decision);

            // A host directory is read only once policy granted it, and only into a sanitised store copy.
            Image image = resolved.HostPath is null ? resolved : PathImage.Import(root, resolved, request.Trust == TrustLevel.Trusted, ct);
            using var pathUse = resolved.HostPath is null ? null : ImageUse.Hold(image);
            if (decision.Backend == BackendKind.MicroVm)
            {
                return await RunMicroVmAsync(request, image, decision, io, audit, ct).ConfigureAwait(false);
            }

            var seccomp = seccompFor(decision.SeccompProfile);
            var plan = Plan(request, image, decision, seccomp);

            await OrphanReaper.ReapRunsAsync(root).ConfigureAwait(false);
            var runtime = await RuntimeSelector.SelectAsync(root, request.Runtime, TrialAsync).ConfigureAwait(false);
            audit.SandboxId = plan.Id;
            var outcome = await WithVolumesAsync(request, decision, binds => RunContainerAsync(runtime, plan, binds, io, decision.Limits.Timeout, audit, ct), ct)
                .ConfigureAwait(false);
            if (outcome.EngineError is { } error)
            {
                var (kind, message) = RuntimeLog.Classify(error);
                throw new SandboxException(kind, $"{runtime.Name} could not start the workload: {message}");
            }

            if (outcome.TimedOut)
            {
                await io.Stderr.WriteAsync(System.Text.Encoding.UTF8.GetBytes(
                    $"sandbox: {(request.Timeout is null ? "the policy's timeout" : "--timeout")} {decision.Limits.Timeout.TotalSeconds:0.###}s reached; the workload was killed\n"), ct).ConfigureAwait(false);
            }

            audit.Finished(outcome.ExitCode, outcome.TimedOut);
            return outcome.ExitCode;
        }
        catch (SandboxException e)
        {
            Record(audit, e);
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing mapped it where it was thrown: still a 125 with one line, and audited as failed.
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

    // Fail closed: grants the container backend cannot honour yet are refused, never dropped.
    private static void RefuseWhatTheBackendCannotApply(Decision decision)
    {
        if (decision.Backend == BackendKind.MicroVm && !decision.Binds.IsEmpty)
        {
            throw new SandboxException(ErrorKind.Refused, $"refused: host bind mounts ({string.Join(", ", decision.Binds)}) are for the container backend only",
                "give the microVM a named volume: -v NAME:/path");
        }

        if (!decision.Capabilities.IsEmpty || !decision.Devices.IsEmpty)
        {
            throw new SandboxException(ErrorKind.Refused, "refused: the container backend cannot grant capabilities or devices yet");
        }
    }

    /// <summary>Boots the workload in a microVM whose VMM is jailed by the container backend.</summary>
    private async Task<int> RunMicroVmAsync(RunRequest request, Image image, Decision decision, WorkloadIo io, RunAudit audit, CancellationToken ct)
    {
        string? kernel = decision.Kernel is null or "default" ? null : decision.Kernel;
        string decidedBy = decision.Rule?.ToString() ?? "the policy";
        if (AcceleratorOverride.FromEnvironment() is { } forced)
        {
            AcceleratorOverride.Recheck(forced, forced: true, decision.AllowEmulation, decidedBy); // before anything starts
        }

        var microVm = new MicroVmBackend(root, accelerators);
        microVm.Preflight(kernel); // fail closed before anything starts: no QEMU or no intact kernel is exit 125
        MicroVmBackend.CheckVolumes(request.Volumes);
        var vm = Plan(request, image, decision, seccompFor(MicroVmBackend.VmmSeccompProfile)); // the VMM's jail is a container
        await OrphanReaper.ReapRunsAsync(root).ConfigureAwait(false);
        var runtime = await RuntimeSelector.SelectAsync(root, request.Runtime, TrialAsync).ConfigureAwait(false);
        audit.SandboxId = vm.Id;
        var workload = new MicroVmWorkload(vm.Id, image, vm.Args, vm.Env, vm.Cwd, vm.Uid, vm.Gid, kernel, decision.Limits, decision.Limits.Timeout)
        {
            Hostname = vm.Hostname,
            Seccomp = seccompFor(decision.SeccompProfile), // the workload's, applied by crun inside the guest
            SeccompProfile = decision.SeccompProfile,
            Terminal = io.Terminal,
            AllowEmulation = decision.AllowEmulation,
            DecidedBy = decidedBy,
            TimeoutSource = request.Timeout is null ? "the policy's timeout" : "--timeout",
        };
        var result = await WithVolumesAsync(request, decision, binds => microVm.RunAsync(
            workload with { Volumes = binds }, runtime, vm.Seccomp, io, ct, applied =>
            {
                bool first = audit.Applied is null;
                audit.Applied = applied;
                if (first)
                {
                    audit.Started(); // the second call only adds the guest's confirmation to the final record
                }
            }), ct).ConfigureAwait(false);
        audit.Finished(result.ExitCode, result.TimedOut);
        return result.ExitCode;
    }

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

    /// <summary>Runs one plan with a fresh ID lease and run directory, and removes both afterwards.</summary>
    private async Task<ContainerOutcome> RunContainerAsync(
        OciRuntime runtime, ContainerPlanDraft draft, IReadOnlyList<VolumeBind> binds, WorkloadIo io, TimeSpan? timeout,
        RunAudit? audit, CancellationToken ct)
    {
        string id = draft.Id;
        string record = OrphanReaper.Record(runtime, id);
        using var lease = IdLease.Acquire(record);
        if (lease.PreviousHolder is { } stale)
        {
            await OrphanReaper.ReapRecordAsync(stale).ConfigureAwait(false); // its container may still hold these IDs
        }

        string runDir;
        try
        {
            runDir = RunDirectory.Create(root, id, lease.Range); // only this sandbox's root may pass through it
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw root.Unusable(Path.Combine(root.Runs, id), e);
        }

        FileStream? claim = null;
        try
        {
            claim = OrphanReaper.Claim(runDir, record);
            var (rootfs, mounts) = MountRootfs(runDir, draft.Rootfs, lease, binds);
            var spec = OciSpecBuilder.Build(draft.ToPlan(lease.Range) with { RootfsPath = rootfs, ExtraMounts = mounts, Terminal = io.Terminal });
            string config = Path.Combine(runDir, "config.json");
            PrivateFile.Create(config, OciSpecBuilder.ToUtf8Json(spec));
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
        finally
        {
            SafeRemove.Directory(runDir); // detaches the rootfs, overlay and volume binds before deleting
            claim?.Dispose(); // only now: a concurrent reaper never takes a run that is being torn down for an orphan
        }
    }

    /// <summary>
    /// The image's rootfs as this sandbox sees it: a read-only ID-mapped bind at runDir/image (on-disk
    /// owner k appears as the slot's host ID for k, i.e. k inside), since the image store itself is
    /// private to root. It is the OCI root, or with volumes the overlay's lower directory.
    /// </summary>
    private (string Rootfs, IReadOnlyList<OciMount> Mounts) MountRootfs(
        string runDir, string imageRootfs, IdLease lease, IReadOnlyList<VolumeBind> binds)
    {
        string image = Directory.CreateDirectory(Path.Combine(runDir, "image")).FullName;
        RootfsReachability.Check(root.Runs); // the run directory itself admits the sandbox's root by group (RunDirectory)
        using var userns = UserNamespaceHandle.ForSlot(lease.Slot, lease.Range, root.HostCache);
        try
        {
            IdMappedBind.Attach(imageRootfs, image, userns, readOnly: true);
        }
        catch (Host.Interop.MountException e)
        {
            throw new SandboxException(ErrorKind.HostUnsupported, $"cannot give the sandbox its root filesystem {imageRootfs}: {e.Message}",
                "its file system must support ID-mapped mounts (ext4, xfs, btrfs; tmpfs from Linux 6.3); see `sandbox doctor`", e);
        }

        return binds.Count == 0 ? (image, []) : VolumeMounts.Prepare(runDir, image, lease.Range, userns, binds);
    }

    /// <summary>crun's trial: the same hardened bundle, running /bin/true from the built-in image. Not audited.</summary>
    private async Task<bool> TrialAsync(OciRuntime candidate)
    {
        Image busybox = BusyboxImage.Get(root);
        var request = new RunRequest { Image = busybox.Reference, Command = ["/bin/true"], Trust = TrustLevel.Trusted };
        var decision = new Decision(BackendKind.Container, "default", ResourceLimits.Default, "internal: OCI runtime trial run");
        var plan = Plan(request, busybox, decision, seccompFor("default"));
        var outcome = await RunContainerAsync(candidate, plan, [], WorkloadIo.Null, TimeSpan.FromSeconds(30), null, CancellationToken.None)
            .ConfigureAwait(false);
        return outcome.ExitCode == 0 && outcome.EngineError is null;
    }

    /// <param name="launcherMounts">Mount targets the launcher itself provides (analyze's /sample): the command may live there.</param>
    private static ContainerPlanDraft Plan(RunRequest request, Image image, Decision decision, OciSeccomp seccomp, IReadOnlyList<string>? launcherMounts = null)
    {
        IReadOnlyList<string> args = image.CommandFor(request.Command);
        var (uid, gid) = request.UserSet ? (request.Uid, request.Gid) : image.UserIds();
        string hostname = request.Hostname ?? DefaultHostname;
        var env = EnvironmentBuilder.Build(image.DefaultEnv, uid, hostname, request.Env);
        string cwd = request.WorkingDir ?? image.DefaultWorkingDir;
        var volumeTargets = request.Volumes.Select(v => v.Target).Concat(launcherMounts ?? []).ToList();
        WorkloadChecks.WorkingDir(image, cwd, volumeTargets, fromImage: request.WorkingDir is null); // first: it guards the runtime (CVE-2024-21626)
        WorkloadChecks.Command(image, args[0], env, volumeTargets);
        return new ContainerPlanDraft(NewId(), image.RootfsPath, args, env, cwd, uid, gid,
            hostname, decision.Limits, seccomp, decision.SeccompProfile);
    }

    // Guid.NewGuid reads the kernel's CSPRNG directly; RandomNumberGenerator would load OpenSSL (~4 ms per run).
    private static string NewId() => "sb-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A plan before its ID range is known (the lease is taken just before the run).</summary>
    private sealed record ContainerPlanDraft(
        string Id, string Rootfs, IReadOnlyList<string> Args, IReadOnlyList<string> Env, string Cwd,
        uint Uid, uint Gid, string Hostname, ResourceLimits Limits, OciSeccomp Seccomp, string SeccompProfile)
    {
        public ContainerPlan ToPlan(IdRange ids) =>
            new(Id, Rootfs, Args, Env, Cwd, Uid, Gid, ids, Hostname, Limits, Seccomp);
    }
}
