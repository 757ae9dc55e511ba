using Sandbox.Analysis;
using Sandbox.Audit;
using Sandbox.Backends;
using Sandbox.Backends.MicroVm;
using Sandbox.Host;
using Sandbox.Host.Cgroups;
using Sandbox.Host.Mounts;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Volumes;

namespace Sandbox.Runtime;

/// <summary>What one analysis run gave the report builder: the VM's result and the guest collector's tar.</summary>
public sealed record AnalysisRun(WorkloadExit Result, string CollectorTar, Image Image, string SandboxId, string Kernel, uint Uid, TimeSpan Timeout);

public sealed partial class Launcher
{
    /// <summary>Where the sample appears in the guest: a read-only share holding only it.</summary>
    public const string SampleMount = "/sample";

    /// <summary>
    /// `sandbox analyze`: the request's command is the sample at /sample/NAME. Decided by policy and
    /// audited like a run, but always in the microVM: the sample's directory (a private copy) is
    /// shared read-only with the guest, and the guest's collector report is handed to
    /// <paramref name="report"/>, whose digest goes into the audit record. With <paramref name="sinkhole"/>
    /// the sample's network is the guest's fake one (Analysis/Sinkhole) instead of a bare loopback.
    /// </summary>
    public async Task<int> AnalyzeAsync(RunRequest request, SampleFile sample, WorkloadIo io, Func<AnalysisRun, Task<string>> report, bool sinkhole = false, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(report);
        _ = CgroupAttachWarmup.Start();
        var audit = new RunAudit(AuditLog.For(root), request);
        return await AuditedAsync(audit, async () =>
        {
            audit.Policy = PolicyLoader.Resolve(request.PolicyFile);
            Image resolved = ImageResolver.Resolve(root, request.Image);
            using var inUse = ImageUse.Hold(resolved);
            if (resolved.HostPath is null)
            {
                RequireInterpreter(sample, resolved); // first: whatever policy decides, this sample cannot run there
            }

            audit.Evaluation = engine.Evaluate(audit.Policy, WorkloadFactsBuilder.From(request, resolved, new VolumeStore(root)));
            Decision decision = audit.Evaluation.Require();
            if (decision.Backend != BackendKind.MicroVm)
            {
                throw new SandboxException(ErrorKind.Refused,
                    $"refused: analyze runs samples in the microVM only, and {decision.Rule?.ToString() ?? "the policy"} chose the container backend");
            }

            Image image = resolved.HostPath is null ? resolved : PathImage.Import(root, resolved, trusted: false, ct);
            using var pathUse = resolved.HostPath is null ? null : ImageUse.Hold(image);
            if (resolved.HostPath is not null)
            {
                RequireInterpreter(sample, image); // a host directory is read only once policy granted it
            }

            var spec = WorkloadSpecBuilder.Build(request, image, decision, seccompFor(decision.SeccompProfile), [SampleMount]);
            if (sinkhole && spec.Uid == Analysis.Sinkhole.Sinkhole.HelperUid)
            {
                // The helper's identity must not be the sample's (it could then signal it, were it visible).
                throw new SandboxException(ErrorKind.InvalidArgument,
                    $"analyze --network sinkhole: the image runs as uid {spec.Uid}, the guest sinkhole's own identity", "use an image whose user is another uid");
            }

            ISandboxBackend backend = backends.For(BackendKind.MicroVm);
            backend.Admit(decision);
            await backend.PreflightAsync(spec, [], ct).ConfigureAwait(false);
            string kernelName = backend is MicroVmBackend microVm ? FetchedKernelName(microVm.Preflight(spec.Kernel)) : "unknown"; // fail closed before anything starts
            audit.SandboxId = spec.Id;

            string work = Path.Combine(root.Ensure(Path.Combine(root.Path, "analyze"), traversable: false), spec.Id);
            try
            {
                string shared = Directory.CreateDirectory(Path.Combine(work, "sample")).FullName;
                File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                string copy = Path.Combine(shared, sample.Name);
                using (var file = new FileStream(copy, FileMode.CreateNew, FileAccess.Write))
                {
                    file.Write(sample.Content.Span); // the bytes that were hashed, not the path again
                }

                File.SetUnixFileMode(copy, (UnixFileMode)0b101_101_101); // r-x: the guest runs it; QEMU refuses writes to the share
                string tar = Path.Combine(work, "collector.tar");
                var analysis = spec with { Mounts = [new VolumeBind(shared, SampleMount, ReadOnly: true)], ReportPath = tar, Sinkhole = sinkhole };
                var result = await RunAsync(backend, analysis, io, audit, null, ct).ConfigureAwait(false);
                if (!result.ReportReceived)
                {
                    throw new SandboxException(ErrorKind.EngineFailed,
                        $"the guest sent no analysis report (the sample's status was {result.ExitCode}); no report was written");
                }

                string digest = await report(new AnalysisRun(result, tar, image, spec.Id, kernelName, spec.Uid, decision.Limits.Timeout)).ConfigureAwait(false);
                audit.Finished(result.ExitCode, result.TimedOut, digest);
                return result.ExitCode;
            }
            finally
            {
                SafeRemove.Directory(work);
            }
        }).ConfigureAwait(false);
    }

    private static void RequireInterpreter(SampleFile sample, Image image)
    {
        if (sample.Interpreter is { } interpreter && RootfsLookup.Resolve(image.RootfsPath, interpreter) is null)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"analyze: the sample needs {Printable.Escape(interpreter)} ({(sample.Elf is null ? "its #! interpreter" : "its ELF loader, PT_INTERP")}), which image '{image.Reference}' does not have",
                "give an image that has it, e.g. --image debian:12 (sandbox image import)");
        }
    }

    private static string FetchedKernelName(Backends.MicroVm.Kernels.FetchedKernel k) => $"{k.Entry.Name} {k.Manifest.Version}";
}
