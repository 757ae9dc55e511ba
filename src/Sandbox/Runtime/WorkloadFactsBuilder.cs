using System.Collections.Immutable;
using Sandbox.Images;
using Sandbox.Policy;

namespace Sandbox.Runtime;

/// <summary>What policy sees of a run request and its resolved image.</summary>
public static class WorkloadFactsBuilder
{
    public static WorkloadFacts From(RunRequest request, Image image)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        return new WorkloadFacts
        {
            Trust = request.Trust,
            RequestedBackend = request.Backend,
            ImageReference = image.Reference,
            ImageDigest = image.Digest, // imported images: the manifest digest; built-in and directory images: none
            Labels = image.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal, StringComparer.Ordinal),
            Command = [.. image.Entrypoint, .. request.Command.Count > 0 ? request.Command : image.DefaultCommand],
            Volumes = [.. request.Volumes.Where(v => !v.IsBind).Select(v => v.Source)],
            Binds = [.. request.Volumes.Where(v => v.IsBind).Select(v => v.Source)],
            Network = request.Network,
            MemoryBytes = request.MemoryBytes,
            Cpus = request.Cpus,
            PidsLimit = request.PidsLimit,
            SeccompProfile = request.SeccompProfile,
            Kernel = request.Kernel,
        };
    }
}
