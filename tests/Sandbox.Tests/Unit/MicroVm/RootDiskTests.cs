using Sandbox.Backends.MicroVm.Disk;
using Sandbox.Images;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class RootDiskTests
{
    [Fact]
    public void The_same_image_maps_to_one_cached_disk_and_a_changed_image_to_a_new_one()
    {
        Require.Tool("mkfs.ext4");
        string rootfs = Directory.CreateTempSubdirectory("rootdisk-image-").FullName;
        string a = Directory.CreateTempSubdirectory("rootdisk-a-").FullName;
        string b = Directory.CreateTempSubdirectory("rootdisk-b-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
            File.WriteAllText(Path.Combine(rootfs, "bin", "hello"), "#!/bin/sh\necho hi\n");
            File.SetLastWriteTimeUtc(Path.Combine(rootfs, "bin", "hello"), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            var image = new Image(rootfs, rootfs, ["sh"], [], "/");
            string first = RootDisk.Ensure(new StateRoot(a), image, CancellationToken.None);
            string second = RootDisk.Ensure(new StateRoot(b), image, CancellationToken.None);
            // Same image content, same cache key. The bytes are not compared: mkfs.ext4 -d copies each
            // file's access time, which the first build's reads can change.
            Assert.Equal(Path.GetFileName(first), Path.GetFileName(second));
            Assert.Equal(first, RootDisk.Ensure(new StateRoot(a), image, CancellationToken.None)); // cached

            File.WriteAllText(Path.Combine(rootfs, "bin", "other"), "x");
            Assert.NotEqual(first, RootDisk.Ensure(new StateRoot(a), image, CancellationToken.None));
        }
        finally
        {
            foreach (string d in new[] { rootfs, a, b })
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }
}
