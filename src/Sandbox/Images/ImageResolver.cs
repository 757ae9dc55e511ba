using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>Turns what the user typed as IMAGE into an <see cref="Image"/>.</summary>
public static class ImageResolver
{
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
            return FromDirectory(reference);
        }

        throw new SandboxException(ErrorKind.ImageNotFound, $"image '{reference}' not found",
            "sandbox image ls lists the imported images; the built-in image is 'busybox'; a root filesystem directory can be given by path (./rootfs)");
    }

    /// <summary>
    /// A host directory given by path. Policy must grant it (the pathImage condition; the built-in
    /// policy never does for untrusted workloads) before anything reads it; the launcher then imports
    /// it (<see cref="PathImage"/>) and runs the sanitised copy, never the host tree itself.
    /// </summary>
    private static Image FromDirectory(string given)
    {
        string real = Volumes.HostBindPath.RealPath(given) ?? throw new SandboxException(ErrorKind.ImageNotFound,
            $"image directory {given}: no such directory");
        return new Image(real, real, ["sh"], ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "/")
        {
            HostPath = real,
        };
    }
}
