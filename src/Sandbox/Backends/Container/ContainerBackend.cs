using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandbox.Audit;
using Sandbox.Host.Files;
using Sandbox.Host.Mounts;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Volumes;

namespace Sandbox.Backends.Container;

/// <summary>
/// The container backend: an OCI bundle (ID-mapped rootfs, overlay for volumes, rendered
/// config.json) run by crun or runc. It also jails the microVM's VMM, so it owns the choice of
/// OCI runtime for the host.
/// </summary>
public sealed partial class ContainerBackend(
    StateRoot root, Func<string, OciSeccomp> seccompFor, IOptions<SandboxOptions> configured, ILogger<ContainerBackend> log) : ISandboxBackend
{
    private readonly SandboxOptions options = configured.Value;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, OciRuntime> _chosen = new(StringComparer.Ordinal); // concurrent first choices agree: the verdict is cached on disk

    public BackendKind Kind => BackendKind.Container;

    public StateRoot Root => root;

    public void Admit(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.Capabilities.IsEmpty || !decision.Devices.IsEmpty)
        {
            throw new SandboxException(ErrorKind.Refused, "refused: the container backend cannot grant capabilities or devices yet");
        }
    }

    public async Task PreflightAsync(WorkloadSpec spec, IReadOnlyList<VolumeSpec> volumes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await RuntimeAsync(spec.Runtime).ConfigureAwait(false);
    }

    /// <summary>
    /// Reaps orphaned runs, then the OCI runtime for <paramref name="requested"/> (--runtime, else
    /// SANDBOX_RUNTIME, else crun when its trial passes on this host, else runc); chosen once per process.
    /// </summary>
    public async Task<OciRuntime> RuntimeAsync(string? requested)
    {
        string key = requested ?? "";
        if (_chosen.TryGetValue(key, out var chosen))
        {
            return chosen;
        }

        await OrphanReaper.ReapRunsAsync(root).ConfigureAwait(false);
        chosen = await RuntimeSelector.SelectAsync(root, requested ?? options.Runtime, TrialAsync).ConfigureAwait(false);
        _chosen.TryAdd(key, chosen);
        RuntimeChosen(log, chosen.Name, chosen.BinaryPath);
        return chosen;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "OCI runtime {Name} ({Path}) chosen")]
    private static partial void RuntimeChosen(ILogger logger, string name, string path);

    public async Task<ISandbox> CreateAsync(WorkloadSpec spec, WorkloadIo io, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return await CreateAsync(spec, await RuntimeAsync(spec.Runtime).ConfigureAwait(false), io).ConfigureAwait(false);
    }

    /// <summary>A fresh ID lease and run directory, the rootfs mounted, config.json rendered: removed again if any step fails.</summary>
    private async Task<ContainerSandbox> CreateAsync(WorkloadSpec spec, OciRuntime runtime, WorkloadIo io)
    {
        string id = spec.Id;
        string record = OrphanReaper.Record(runtime, id);
        var lease = IdLease.Acquire(record);
        string? runDir = null;
        FileStream? claim = null;
        try
        {
            if (lease.PreviousHolder is { } stale)
            {
                await OrphanReaper.ReapRecordAsync(stale).ConfigureAwait(false); // its container may still hold these IDs
            }

            try
            {
                runDir = RunDirectory.Create(root, id, lease.Range); // only this sandbox's root may pass through it
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw root.Unusable(Path.Combine(root.Runs, id), e);
            }

            claim = OrphanReaper.Claim(runDir, record);
            var (rootfs, mounts) = MountRootfs(runDir, spec.Image.RootfsPath, lease, spec.Mounts);
            // Argv or env bytes that are not UTF-8 reach the workload through the exec shim, bound from here.
            string? shim = Exec.ExecShim.Needed(spec.Args, spec.Env) ? Exec.ExecShim.WriteTo(runDir) : null;
            string? init = spec.Init ? Init.SandboxInit.WriteTo(runDir) : null; // --init: PID 1, bound from here
            var plan = new ContainerPlan(id, rootfs, spec.Args, spec.Env, spec.Cwd, spec.Uid, spec.Gid, lease.Range, spec.Hostname, spec.Limits, spec.Seccomp)
            {
                ExtraMounts = mounts,
                Terminal = io.Terminal,
                ExecShimSource = shim,
                InitSource = init,
            };
            string config = Path.Combine(runDir, "config.json");
            PrivateFile.Create(config, OciSpecBuilder.ToUtf8Json(OciSpecBuilder.Build(plan)));
            var applied = AppliedHardeningReader.FromBundle(config, runtime.Name, spec.SeccompProfile);
            return new ContainerSandbox(spec, runtime, io, options.StartTimeout, lease, runDir, claim, applied);
        }
        catch
        {
            if (runDir is not null)
            {
                SafeRemove.Directory(runDir);
            }

            claim?.Dispose();
            lease.Dispose();
            throw;
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
        var decision = new Decision(BackendKind.Container, "default", ResourceLimits.Default with { Timeout = TimeSpan.FromSeconds(30) }, "internal: OCI runtime trial run");
        var spec = WorkloadSpecBuilder.Build(request, busybox, decision, seccompFor("default"));
        await using var sandbox = await CreateAsync(spec, candidate, WorkloadIo.Null).ConfigureAwait(false);
        await sandbox.StartAsync(CancellationToken.None).ConfigureAwait(false);
        return await sandbox.TrialPassedAsync().ConfigureAwait(false);
    }
}
