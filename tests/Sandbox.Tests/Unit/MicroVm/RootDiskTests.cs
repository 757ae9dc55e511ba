using System.Security.Cryptography;
using Sandbox.Backends.MicroVm.Disk;
using Sandbox.Images;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class RootDiskTests
{
    [Fact]
    public void The_same_image_gives_the_same_disk_and_a_changed_image_a_new_one()
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
            Assert.Equal(Path.GetFileName(first), Path.GetFileName(second));
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(first)), SHA256.HashData(File.ReadAllBytes(second)));
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
