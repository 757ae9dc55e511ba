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

            // The store never changes a published tree: a changed image is a new tree, published by rename.
            string replaced = rootfs + ".new";
            Directory.CreateDirectory(Path.Combine(replaced, "bin"));
            File.Copy(Path.Combine(rootfs, "bin", "hello"), Path.Combine(replaced, "bin", "hello"));
            File.WriteAllText(Path.Combine(replaced, "bin", "other"), "x");
            Directory.Delete(rootfs, recursive: true);
            Directory.Move(replaced, rootfs);
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

    [Fact]
    public void Building_a_disk_deletes_disks_no_run_used_for_two_weeks_and_keeps_the_others()
    {
        Require.Tool("mkfs.ext4");
        string state = Directory.CreateTempSubdirectory("rootdisk-sweep-").FullName;
        var images = Enumerable.Range(0, 3).Select(i => Directory.CreateTempSubdirectory($"rootdisk-sweep-{i}-").FullName).ToList();
        try
        {
            var root = new StateRoot(state);
            var disks = images.Take(2).Select(rootfs =>
            {
                File.WriteAllText(Path.Combine(rootfs, "f"), rootfs);
                return RootDisk.Ensure(root, new Image(rootfs, rootfs, ["sh"], [], "/"), CancellationToken.None);
            }).ToList();
            File.SetLastWriteTimeUtc(Path.ChangeExtension(disks[0], ".lock"), DateTime.UtcNow - RootDisk.Unused - TimeSpan.FromHours(1));

            File.WriteAllText(Path.Combine(images[2], "f"), "third");
            string third = RootDisk.Ensure(root, new Image(images[2], images[2], ["sh"], [], "/"), CancellationToken.None);

            Assert.False(File.Exists(disks[0]), "unused for longer than two weeks");
            Assert.True(File.Exists(disks[1]), "used just now");
            Assert.True(File.Exists(third));
        }
        finally
        {
            foreach (string d in images.Append(state))
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }

    /// <summary>
    /// Regression (disk poisoning): the key covered metadata alone, and an image's tar headers set all
    /// of it, so an image copying a trusted image's names, modes, owners, sizes and mtimes with other
    /// bytes was given the trusted image's disk (or gave it its own, whichever ran first).
    /// </summary>
    [Fact]
    public void An_image_with_another_images_metadata_but_other_bytes_never_shares_its_disk()
    {
        Require.Tool("mkfs.ext4");
        string state = TestTemp.Directory("rootdisk-poison-");
        var mtime = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc);
        string Tree(string content)
        {
            string rootfs = TestTemp.Directory("rootdisk-poison-image-");
            Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
            string tool = Path.Combine(rootfs, "bin", "tool");
            File.WriteAllText(tool, content);
            File.SetUnixFileMode(tool, (UnixFileMode)0b111_101_101);
            File.SetLastWriteTimeUtc(tool, mtime);
            Directory.SetLastWriteTimeUtc(Path.Combine(rootfs, "bin"), mtime);
            return rootfs;
        }

        string trusted = Tree("echo fine");
        string forged = Tree("rm -rf /*");
        Assert.Equal(new FileInfo(Path.Combine(trusted, "bin", "tool")).Length, new FileInfo(Path.Combine(forged, "bin", "tool")).Length);

        var root = new StateRoot(state);
        string forgedDisk = RootDisk.Ensure(root, new Image(forged, forged, ["sh"], [], "/"), CancellationToken.None); // runs first
        string trustedDisk = RootDisk.Ensure(root, new Image(trusted, trusted, ["sh"], [], "/"), CancellationToken.None);
        Assert.NotEqual(forgedDisk, trustedDisk);
        Assert.NotEqual(RootDisk.KeyOf(trusted), RootDisk.KeyOf(forged));
    }

    /// <summary>
    /// Regression: the key's walk followed the image's links, so Debian's /var/run -> /run hashed the
    /// host's /run (a new 400 MB disk on every run), and a link to / would have walked the host.
    /// </summary>
    [Fact]
    public void The_key_never_follows_a_link_out_of_the_image()
    {
        string rootfs = Directory.CreateTempSubdirectory("rootdisk-links-").FullName;
        string host = Directory.CreateTempSubdirectory("rootdisk-host-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootfs, "usr", "bin"));
            File.WriteAllText(Path.Combine(rootfs, "usr", "bin", "tool"), "x");
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin"), "usr/bin"); // inside: listed once, as a link
            File.CreateSymbolicLink(Path.Combine(rootfs, "run"), host); // outside, absolute
            string key = RootDisk.KeyOf(rootfs);

            File.WriteAllText(Path.Combine(host, "pid"), "1"); // the host changes; the image does not
            Directory.CreateDirectory(Path.Combine(host, "sub"));
            Assert.Equal(key, RootDisk.KeyOf(rootfs));

            File.Delete(Path.Combine(rootfs, "run"));
            File.CreateSymbolicLink(Path.Combine(rootfs, "run"), "/elsewhere"); // the link itself is content
            Assert.NotEqual(key, RootDisk.KeyOf(rootfs));
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void The_disk_carries_the_image_owners_a_new_owner_means_a_new_disk_and_the_cache_is_private()
    {
        Require.Root();
        Require.Tool("mkfs.ext4");
        string debugfs = Require.Tool("debugfs");
        string rootfs = Directory.CreateTempSubdirectory("rootdisk-owned-").FullName;
        string state = Directory.CreateTempSubdirectory("rootdisk-state-").FullName;
        try
        {
            string file = Path.Combine(Directory.CreateDirectory(Path.Combine(rootfs, "home")).FullName, "secret");
            File.WriteAllText(file, "x");
            var image = new Image(rootfs, rootfs, ["sh"], [], "/");
            string rootOwned = RootDisk.Ensure(new StateRoot(state), image, CancellationToken.None);
            Sandbox.Host.Files.FileOwner.Set(file, 1000, 1001);
            string disk = RootDisk.Ensure(new StateRoot(state), image, CancellationToken.None);
            Assert.NotEqual(rootOwned, disk); // the cache key covers owners: a disk of other owners is never reused
            Assert.Matches(@"User:\s+1000\s+Group:\s+1001", Tool.Run(debugfs, "-R", "stat /home/secret", disk));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(disk));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(disk)!));
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }
}
