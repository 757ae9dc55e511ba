using Sandbox.Backends.Container;
using Sandbox.Host;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Volumes;

namespace Sandbox.Runtime;

/// <summary>
/// `sandbox run`: decide, resolve the image, render the bundle, run it, and tear everything down
/// whatever happens (exit, error, timeout, signal).
/// </summary>
public sealed class Launcher(StateRoot root, Func<string, Backends.Container.OciSeccomp> seccompFor)
{
    private const string Hostname = "sandbox";

    public async Task<int> RunAsync(RunRequest request, WorkloadIo io, CancellationToken ct = default)
    {
        var limits = Limits(request);
        Decision decision = BuiltinPolicy.Decide(request.Trust, request.Backend, request.SeccompProfile, limits);
        var seccomp = seccompFor(decision.SeccompProfile);
        Image image = ImageResolver.Resolve(root, request.Image);
        var plan = Plan(request, image, decision, seccomp);

        await OrphanReaper.ReapRunsAsync(root).ConfigureAwait(false);
        var runtime = await RuntimeSelector.SelectAsync(root, request.Runtime, TrialAsync).ConfigureAwait(false);
        var volumes = new List<VolumeLease>();
        ContainerOutcome outcome;
        try
        {
            var binds = new List<VolumeBind>();
            foreach (var spec in request.Volumes)
            {
                var store = new VolumeStore(root);
                var use = await store.AcquireAsync(spec.Name, createIfMissing: true, ct).ConfigureAwait(false);
                volumes.Add(use);
                if (request.Trust == TrustLevel.Untrusted && !spec.ReadOnly)
                {
                    store.MarkWrittenByUntrusted(spec.Name); // policy can keep trusted sandboxes from mounting it read-write later
                }

                binds.Add(new VolumeBind(use.Info.DataPath, spec.Target, spec.ReadOnly));
            }

            outcome = await RunContainerAsync(runtime, plan, binds, io, request.Timeout, ct).ConfigureAwait(false);
        }
        finally
        {
            volumes.ForEach(v => v.Dispose());
        }

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

        return outcome.ExitCode;
    }

    /// <summary>Runs one plan with a fresh ID lease and run directory, and removes both afterwards.</summary>
    private async Task<ContainerOutcome> RunContainerAsync(
        OciRuntime runtime, ContainerPlanDraft draft, IReadOnlyList<VolumeBind> binds, WorkloadIo io, TimeSpan? timeout, CancellationToken ct)
    {
        string id = draft.Id;
        string record = OrphanReaper.Record(runtime, id);
        using var lease = IdLease.Acquire(record);
        if (lease.PreviousHolder is { } stale)
        {
            await OrphanReaper.ReapRecordAsync(stale).ConfigureAwait(false); // its container may still hold these IDs
        }

        string runDir = Path.Combine(root.Ensure(root.Runs, traversable: true), id);
        Directory.CreateDirectory(runDir, Traversable); // a per-sandbox overlay root may live below it
        try
        {
            using (var owner = new FileStream(Path.Combine(runDir, OrphanReaper.OwnerFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                owner.Write(System.Text.Encoding.UTF8.GetBytes(record));
                owner.Flush();
                var (rootfs, mounts) = VolumeMounts.Prepare(runDir, draft.Rootfs, lease.Range, binds);
                var spec = OciSpecBuilder.Build(draft.ToPlan(lease.Range) with { RootfsPath = rootfs, ExtraMounts = mounts });
                // 0600: the config holds the workload's environment, which may carry secrets.
                using (var config = new FileStream(Path.Combine(runDir, "config.json"), new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                }))
                {
                    config.Write(OciSpecBuilder.ToUtf8Json(spec));
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
            SafeRemove.Directory(runDir); // detaches the overlay and volume binds before deleting
        }
    }

    private const UnixFileMode Traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>crun's trial: the same hardened bundle, running /bin/true from the built-in image.</summary>
    private async Task<bool> TrialAsync(OciRuntime candidate)
    {
        Image busybox = BusyboxImage.Get(root);
        var request = new RunRequest { Image = busybox.Reference, Command = ["/bin/true"], Trust = TrustLevel.Trusted };
        var decision = BuiltinPolicy.Decide(TrustLevel.Trusted, BackendKind.Container, "default", ResourceLimits.Default);
        var plan = Plan(request, busybox, decision, seccompFor("default"));
        var outcome = await RunContainerAsync(candidate, plan, [], WorkloadIo.Null, TimeSpan.FromSeconds(30), CancellationToken.None)
            .ConfigureAwait(false);
        return outcome.ExitCode == 0 && outcome.EngineError is null;
    }

    private static ContainerPlanDraft Plan(RunRequest request, Image image, Decision decision, OciSeccomp seccomp)
    {
        IReadOnlyList<string> args = request.Command.Count > 0 ? request.Command : image.DefaultCommand;
        var env = EnvironmentBuilder.Build(image.DefaultEnv, request.Uid, Hostname, request.Env);
        string cwd = request.WorkingDir ?? image.DefaultWorkingDir;
        var volumeTargets = request.Volumes.Select(v => v.Target).ToList();
        WorkloadChecks.Command(image, args[0], env, volumeTargets);
        WorkloadChecks.WorkingDir(image, cwd, volumeTargets);
        return new ContainerPlanDraft(NewId(), image.RootfsPath, args, env, cwd, request.Uid, request.Gid,
            Hostname, decision.Limits, seccomp);
    }

    private static ResourceLimits Limits(RunRequest request)
    {
        var d = ResourceLimits.Default;
        return d with
        {
            MemoryBytes = request.MemoryBytes ?? d.MemoryBytes,
            Cpus = request.Cpus ?? d.Cpus,
            PidsLimit = request.PidsLimit ?? d.PidsLimit,
        };
    }

    // Guid.NewGuid reads the kernel's CSPRNG directly; RandomNumberGenerator would load OpenSSL (~4 ms per run).
    private static string NewId() => "sb-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A plan before its ID range is known (the lease is taken just before the run).</summary>
    private sealed record ContainerPlanDraft(
        string Id, string Rootfs, IReadOnlyList<string> Args, IReadOnlyList<string> Env, string Cwd,
        uint Uid, uint Gid, string Hostname, ResourceLimits Limits, OciSeccomp Seccomp)
    {
        public ContainerPlan ToPlan(IdRange ids) =>
            new(Id, Rootfs, Args, Env, Cwd, Uid, Gid, ids, Hostname, Limits, Seccomp);
    }
}
