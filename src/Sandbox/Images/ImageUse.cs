using Sandbox.Images.Store;
using Sandbox.Runtime;

namespace Sandbox.Images;

/// <summary>
/// A run's hold on a store image: a shared lock that `image rm` and garbage collection test before
/// deleting, so an image is never deleted under a running sandbox. Built-in and directory images
/// need none.
/// </summary>
public sealed class ImageUse : IDisposable
{
    private readonly StoreLock _lock;

    private ImageUse(StoreLock held) => _lock = held;

    public static ImageUse? Hold(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.UseLock is not { } path)
        {
            return null;
        }

        var held = StoreLock.Shared(path);
        if (!Directory.Exists(image.RootfsPath))
        {
            held.Dispose(); // removed between resolving and locking
            throw new SandboxException(ErrorKind.ImageNotFound, $"image {image.Reference} was removed while the sandbox was starting",
                "import or pull it again");
        }

        return new ImageUse(held);
    }

    public void Dispose() => _lock.Dispose();
}
