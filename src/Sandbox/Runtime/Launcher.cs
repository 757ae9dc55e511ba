using Sandbox.Backends.Container;
using Sandbox.Images;
using Sandbox.Policy;

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
        var outcome = await RunContainerAsync(runtime, plan, io, request.Timeout, ct).ConfigureAwait(false);
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
        OciRuntime runtime, ContainerPlanDraft draft, WorkloadIo io, TimeSpan? timeout, CancellationToken ct)
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
                File.WriteAllBytes(Path.Combine(runDir, "config.json"), OciSpecBuilder.ToUtf8Json(spec));
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

    /// <summary>crun's trial: the same hardened bundle, running /bin/true from the built-in image.</summary>
    private async Task<bool> TrialAsync(OciRuntime candidate)
    {
        Image busybox = BusyboxImage.Get(root);
        var request = new RunRequest { Image = busybox.Reference, Command = ["/bin/true"], Trust = TrustLevel.Trusted };
        var decision = BuiltinPolicy.Decide(TrustLevel.Trusted, BackendKind.Container, "default", ResourceLimits.Default);
        var plan = Plan(request, busybox, decision, seccompFor("default"));
        var outcome = await RunContainerAsync(candidate, plan, WorkloadIo.Null, TimeSpan.FromSeconds(30), CancellationToken.None)
            .ConfigureAwait(false);
        return outcome.ExitCode == 0 && outcome.EngineError is null;
    }

    private static ContainerPlanDraft Plan(RunRequest request, Image image, Decision decision, OciSeccomp seccomp)
    {
        IReadOnlyList<string> args = image.CommandFor(request.Command);
        var (uid, gid) = request.UserSet ? (request.Uid, request.Gid) : image.UserIds();
        var env = EnvironmentBuilder.Build(image.DefaultEnv, uid, Hostname, request.Env);
        string cwd = request.WorkingDir ?? image.DefaultWorkingDir;
        WorkloadChecks.Command(image, args[0], env);
        WorkloadChecks.WorkingDir(image, cwd);
        return new ContainerPlanDraft(NewId(), image.RootfsPath, args, env, cwd, uid, gid,
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
