using System.Collections.Immutable;
using Sandbox.Images;
using Sandbox.Policy;
using Sandbox.Volumes;

namespace Sandbox.Runtime;

/// <summary>What policy sees of a run request, its resolved image, and the volumes it asks for.</summary>
public static class WorkloadFactsBuilder
{
    /// <param name="volumes">Read at decision time for each volume's taint (a volume that does not exist yet is untainted).</param>
    public static WorkloadFacts From(RunRequest request, Image image, VolumeStore volumes)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(volumes);
        return new WorkloadFacts
        {
            Trust = request.Trust,
            RequestedBackend = request.Backend,
            ImageReference = image.Reference,
            ImageDigest = image.Digest, // imported images: the manifest digest; built-in and directory images: none
            Labels = image.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal, StringComparer.Ordinal),
            // Policy matches text: a byte that is not UTF-8 is U+FFFD here (the audit keeps the bytes).
            Command = [.. image.Entrypoint, .. (request.Command.Count > 0 ? request.Command : image.DefaultCommand).Select(Host.ByteString.Display)],
            Volumes = [.. request.Volumes.Where(v => !v.IsBind).Select(v => v.Source)],
            VolumeRequests = [.. request.Volumes.Where(v => !v.IsBind)
                .Select(v => new VolumeRequest(v.Source, v.Target, v.ReadOnly, volumes.WrittenByUntrusted(v.Source)))],
            Binds = [.. request.Volumes.Where(v => v.IsBind).Select(v => v.Source)],
            PathImage = image.HostPath,
            Network = request.Network,
            MemoryBytes = request.MemoryBytes,
            Cpus = request.Cpus,
            PidsLimit = request.PidsLimit,
            Timeout = request.Timeout,
            SeccompProfile = request.SeccompProfile,
            Kernel = request.Kernel,
        };
    }
}
