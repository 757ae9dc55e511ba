using Sandbox.Runtime;

namespace Sandbox.Images.Extraction;

/// <summary>One stored layer blob to apply: its digest, where it is, and its compressed size.</summary>
internal sealed record LayerBlob(string Digest, string Path, long Size);

/// <summary>
/// Builds an image's single read-only rootfs from its layers, in order, then lays fresh empty mount
/// points (/proc /dev /sys /tmp), and gives every directory its layer's time. Returns each layer's
/// diff ID (sha256 of its uncompressed tar).
/// </summary>
internal static class RootfsBuilder
{
    private static readonly string[] MountPoints = ["proc", "dev", "sys", "tmp"];

    public static List<string> Build(
        string rootfs, IReadOnlyList<LayerBlob> layers, ExtractionLimits limits, ImportReport report, bool trusted = false,
        CancellationToken interrupt = default)
    {
        if (Tmds.Linux.LibC.geteuid() != 0)
        {
            throw new SandboxException(ErrorKind.HostUnsupported,
                "image import must run as root: every file is stored with the owner its layer gives (chown)",
                "run sandbox as root (the state root is root's anyway)");
        }

        report.Trusted = trusted;
        Directory.CreateDirectory(rootfs);
        File.SetUnixFileMode(rootfs, (UnixFileMode)SafeTree.ImpliedDirectoryMode);
        var diffIds = new List<string>();
        long remaining = limits.MaxTotalBytes;
        using var tree = new SafeTree(rootfs);
        foreach (LayerBlob layer in layers)
        {
            using var meter = new MeteredStream(
                LayerDecompressor.Open(layer.Path, layer.Digest), limits.LayerBudget(layer.Size, remaining), $"layer {layer.Digest}", interrupt);
            try
            {
                new LayerExtractor(tree, limits, report, keepSetid: trusted).Apply(meter, meter); // fresh per layer: whiteouts hide lower layers only
                diffIds.Add(meter.DrainAndDigest());
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new LayerRefusedException($"layer {layer.Digest} is not a valid (compressed) tar: {e.Message}");
            }

            remaining -= meter.BytesRead;
            report.Layers++;
        }

        foreach (string mountPoint in MountPoints)
        {
            tree.EnsureMountPoint(mountPoint);
        }

        tree.SetRootMode(SafeTree.ImpliedDirectoryMode);
        tree.StampDirectories();
        return diffIds;
    }
}
