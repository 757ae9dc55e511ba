using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>Turns what the user typed as IMAGE into an <see cref="Image"/>.</summary>
public static class ImageResolver
{
    private static readonly string[] RequiredMountPoints = ["proc", "sys", "dev", "tmp"];

    public static Image Resolve(StateRoot root, string reference)
    {
        if (reference is BusyboxImage.Name or "busybox:latest")
        {
            return BusyboxImage.Get(root);
        }

        if (ImageStore.TryResolve(root, reference) is { } imported)
        {
            return imported;
        }

        if (reference.Contains('/', StringComparison.Ordinal) && Directory.Exists(reference))
        {
            return FromDirectory(Path.GetFullPath(reference));
        }

        throw new SandboxException(ErrorKind.ImageNotFound, $"image '{reference}' not found",
            "sandbox image ls lists the imported images; the built-in image is 'busybox'; a root filesystem directory can be given by path (./rootfs)");
    }

    /// <summary>
    /// A plain root filesystem directory, used read-only. The mount points must exist already
    /// because the root is mounted read-only before the engine could create them.
    /// </summary>
    private static Image FromDirectory(string rootfs)
    {
        string[] missing = RequiredMountPoints.Where(m => !Directory.Exists(Path.Combine(rootfs, m))).ToArray();
        if (missing.Length > 0)
        {
            throw new SandboxException(ErrorKind.ImageNotFound,
                $"root filesystem {rootfs} lacks the mount point(s) /{string.Join(", /", missing)}",
                $"create them: mkdir -p {string.Join(' ', missing.Select(m => Path.Combine(rootfs, m)))}");
        }

        return new Image(rootfs, rootfs, ["sh"],
            ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "/");
    }
}
