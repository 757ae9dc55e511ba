using Sandbox.Backends.MicroVm.Kernels;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class ModuleResolverTests
{
    private static readonly Dictionary<string, string[]> Deps = new()
    {
        ["virtio_ring"] = [],
        ["virtio"] = ["virtio_ring"],
        ["virtio_mmio"] = ["virtio", "virtio_ring"],
        ["virtio_blk"] = ["virtio", "virtio_ring"],
        ["ext4"] = ["jbd2", "mbcache", "crc16"],
        ["jbd2"] = [],
        ["mbcache"] = [],
        ["crc16"] = [],
    };

    [Fact]
    public void Dependencies_load_first_and_once()
    {
        var order = ModuleResolver.LoadOrder(["virtio_mmio", "virtio_blk", "ext4"], _ => false, m => Deps[m]);
        Assert.Equal(["virtio_ring", "virtio", "virtio_mmio", "virtio_blk", "jbd2", "mbcache", "crc16", "ext4"], order);
    }

    [Fact]
    public void Built_in_modules_are_skipped()
    {
        var order = ModuleResolver.LoadOrder(["virtio-blk"], m => m is "virtio" or "virtio_ring", m => Deps[m]);
        Assert.Equal(["virtio_blk"], order);
    }

    [Fact]
    public void A_cycle_is_an_error()
    {
        Assert.Throws<InvalidDataException>(() =>
            ModuleResolver.LoadOrder(["a"], _ => false, m => m == "a" ? ["b"] : ["a"]));
    }

    [Fact]
    public void Modinfo_depends_are_read()
    {
        byte[] modinfo = System.Text.Encoding.UTF8.GetBytes("license=GPL\0depends=jbd2,mbcache,crc16\0name=ext4\0");
        Assert.Equal(["jbd2", "mbcache", "crc16"], ModuleInfo.ParseModinfo(modinfo));
        Assert.Empty(ModuleInfo.ParseModinfo(System.Text.Encoding.UTF8.GetBytes("depends=\0name=crc16\0")));
    }

    [Fact]
    public void Non_elf_modules_are_refused() =>
        Assert.Throws<InvalidDataException>(() => ModuleInfo.Depends(new byte[100], "x.ko"));
}
