using System.Formats.Tar;
using Sandbox.Lifecycle.Copy;
using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Lifecycle;

/// <summary>A microVM's cp out reads the first entry of the guest's tar to refuse a device asked for by name; a damaged tar is left to the transfer.</summary>
public sealed class CopySpecialNodeTests
{
    private static byte[] Tar(TarEntryType type, string name)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(type, name);
            if (type == TarEntryType.SymbolicLink)
            {
                entry.LinkName = "/etc/shadow";
            }

            writer.WriteEntry(entry);
        }

        return stream.ToArray();
    }

    [Theory]
    [InlineData(TarEntryType.CharacterDevice, "is a character device")]
    [InlineData(TarEntryType.BlockDevice, "is a block device")]
    [InlineData(TarEntryType.Fifo, "is a FIFO (named pipe)")]
    public void A_device_or_fifo_first_is_refused_naming_it(TarEntryType type, string what)
    {
        var e = Assert.Throws<SandboxException>(() => TreeTar.RefuseSpecial(MicroVmCopyClient.FirstEntry(Tar(type, "null")), "vm:/dev/null"));
        Assert.Equal($"cp: 'vm:/dev/null' {what}: cp copies files, directories and symbolic links", e.Message);
    }

    [Fact]
    public void A_file_a_directory_an_empty_or_a_damaged_tar_goes_on_to_the_transfer()
    {
        TreeTar.RefuseSpecial(MicroVmCopyClient.FirstEntry(Tar(TarEntryType.Directory, "etc/")), "vm:/etc");
        TreeTar.RefuseSpecial(MicroVmCopyClient.FirstEntry(Tar(TarEntryType.SymbolicLink, "l")), "vm:/l");
        Assert.Null(MicroVmCopyClient.FirstEntry([]));
        byte[] damaged = Tar(TarEntryType.RegularFile, "f");
        damaged[148] ^= 0x5a; // the header's checksum no longer matches
        Assert.Null(MicroVmCopyClient.FirstEntry(damaged));
    }
}
