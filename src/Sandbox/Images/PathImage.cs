using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>
/// `run DIR`: the directory goes through the import pipeline (walked from its opened descriptor
/// without following links, then safely extracted) into an unnamed store image, and the sandbox runs
/// that copy. So /dev in the directory can be a link to a host directory, or the tree can be swapped
/// while it is read, and neither the container's root nor the microVM's disk ever reaches outside it.
/// </summary>
public static class PathImage
{
    public static Image Import(StateRoot root, Image image, bool trusted, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        string dir = image.HostPath ?? throw new ArgumentException("not a path image", nameof(image));
        var result = ImageImporter.ImportDirectory(root, dir, trusted, ct);
        Image stored = ImageStore.TryResolve(root, result.Digest)
            ?? throw new SandboxException(ErrorKind.StateConflict, $"image directory {dir} was imported as {result.Digest}, which is gone again",
                "an `image rm` ran at the same time; run again");
        return stored with { Reference = image.Reference };
    }
}
