using System.Collections.Immutable;
using Sandbox.Audit;

namespace Sandbox.Policy.Replay;

/// <summary>Workload facts to and from their audit-log form; a round trip is lossless.</summary>
public static class RecordedFacts
{
    public static AuditFacts ToAudit(WorkloadFacts f, string? hostKernel)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new AuditFacts(
            PolicyNames.Trust(f.Trust), PolicyNames.Backend(f.RequestedBackend), f.ImageReference, f.ImageDigest,
            new SortedDictionary<string, string>(f.Labels, StringComparer.Ordinal), f.Command, f.Capabilities, f.Devices,
            [.. f.VolumeRequests.Select(v => new AuditVolumeRequest(v.Name, v.Target, v.ReadOnly, v.WrittenByUntrusted))],
            f.Binds, f.Network, f.MemoryBytes, f.Cpus, f.PidsLimit, f.SeccompProfile, f.Kernel, hostKernel, f.PathImage);
    }

    /// <summary>The facts a record was decided on; null when the record predates recorded facts.</summary>
    public static WorkloadFacts? FromAudit(AuditFacts? a)
    {
        if (a is null)
        {
            return null;
        }

        return new WorkloadFacts
        {
            Trust = PolicyYaml.TrustNames.TryGetValue(a.Trust, out TrustLevel t) ? t : TrustLevel.Untrusted,
            RequestedBackend = PolicyYaml.RequestedBackendNames.TryGetValue(a.Backend, out BackendKind b) ? b : BackendKind.Auto,
            ImageReference = a.Image,
            ImageDigest = a.Digest,
            Labels = a.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal, StringComparer.Ordinal),
            Command = [.. a.Command],
            Capabilities = [.. a.Capabilities],
            Devices = [.. a.Devices],
            Volumes = [.. a.Volumes.Select(v => v.Name)],
            VolumeRequests = [.. a.Volumes.Select(v => new VolumeRequest(v.Name, v.Target, v.ReadOnly, v.WrittenByUntrusted))],
            Binds = [.. a.Binds],
            Network = a.Network,
            MemoryBytes = a.MemoryBytes,
            Cpus = a.Cpus,
            PidsLimit = a.PidsLimit,
            SeccompProfile = a.SeccompProfile,
            Kernel = a.Kernel,
            PathImage = a.PathImage,
        };
    }
}
