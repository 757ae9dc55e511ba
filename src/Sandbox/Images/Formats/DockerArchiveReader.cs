using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images.Formats;

/// <summary>
/// A docker-archive (`docker save`, `podman save`) already ingested: manifest.json picks the config and
/// layers by archive path. Layers are named by their content in the store; their diff IDs in the config
/// are checked during extraction, which is what ties the archive's unsigned file names to content.
/// </summary>
internal static class DockerArchiveReader
{
    public static PreparedImage Prepare(ContentStore store, string archive, Dictionary<string, string> files, string? requestedName)
    {
        string manifestDigest = files.GetValueOrDefault("manifest.json")
            ?? throw new SandboxException(ErrorKind.ImageNotFound, $"{archive}: no manifest.json");
        var entries = ManifestSelector.Parse(store.ReadSmall(manifestDigest, $"{archive}: manifest.json"),
            FormatJsonContext.Default.ListDockerArchiveEntry, $"{archive}: manifest.json");
        DockerArchiveEntry entry = Pick(archive, entries, requestedName);

        string Blob(string? path) => path is not null && files.TryGetValue(ArchiveIngest.Normalize(path), out string? d) ? d
            : throw new SandboxException(ErrorKind.ImageNotFound, $"{archive}: manifest.json names '{path}', which the archive lacks");

        string configDigest = Blob(entry.Config);
        var config = ManifestSelector.Parse(store.ReadSmall(configDigest, $"{archive}: config"),
            FormatJsonContext.Default.ImageConfigFile, $"{archive}: config {entry.Config}");
        var layers = (entry.Layers ?? []).Select(l => ManifestWriter.Layer(store, Blob(l))).ToList();
        if (config.Rootfs?.DiffIds is not { } diffIds || diffIds.Count != layers.Count)
        {
            throw new SandboxException(ErrorKind.ImageNotFound,
                $"{archive}: the config lists {config.Rootfs?.DiffIds?.Count ?? 0} layer diff IDs for {layers.Count} layers");
        }

        var configDescriptor = new Descriptor(MediaTypes.OciConfig, configDigest, new FileInfo(store.BlobPath(configDigest)).Length);
        string manifest = ManifestWriter.WriteManifest(store, configDescriptor, layers);
        return new PreparedImage("docker-archive", manifest, config, configDigest, layers, entry.RepoTags ?? []);
    }

    private static DockerArchiveEntry Pick(string archive, List<DockerArchiveEntry> entries, string? requestedName)
    {
        if (entries.Count == 1)
        {
            return entries[0];
        }

        if (requestedName is not null
            && entries.FirstOrDefault(e => (e.RepoTags ?? []).Any(t => ImageReference.Normalize(t) == requestedName)) is { } match)
        {
            return match;
        }

        string names = string.Join(", ", entries.Select(e => e.RepoTags is { Count: > 0 } t ? string.Join(" ", t) : "<untagged>"));
        throw new SandboxException(ErrorKind.InvalidArgument,
            entries.Count == 0 ? $"{archive}: manifest.json lists no image" : $"{archive} holds {entries.Count} images: {names}",
            entries.Count == 0 ? null : "pick one with --name NAME:TAG");
    }
}
