using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class ElfDependenciesTests
{
    [Fact]
    public void A_dynamic_program_names_its_loader_and_libraries()
    {
        // The test host itself is a dynamically linked x86-64 program with the standard loader.
        string exe = Environment.ProcessPath!;
        var linkage = ElfDependencies.Read(File.ReadAllBytes(exe), exe);
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", linkage.Interpreter);
        Assert.Contains("libc.so.6", linkage.Needed);
    }

    [Fact]
    public void A_static_program_needs_nothing()
    {
        Require.That(File.Exists("/bin/busybox"), "this test needs /bin/busybox (apt-get install busybox-static, or make deps)");
        var linkage = ElfDependencies.Read(File.ReadAllBytes("/bin/busybox"), "/bin/busybox");
        Assert.Null(linkage.Interpreter);
        Assert.Empty(linkage.Needed);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 1 })] // 32-bit
    public void What_is_not_a_64_bit_elf_is_refused(byte[] bytes) =>
        Assert.Throws<InvalidDataException>(() => ElfDependencies.Read(bytes, "x"));

    [Fact]
    public void A_program_header_table_outside_the_file_is_refused()
    {
        byte[] elf = new byte[64];
        "\u007fELF"u8.CopyTo(elf);
        elf[4] = 2;
        elf[5] = 1;
        elf[0x20] = 0xF0; // e_phoff beyond the end
        elf[0x36] = 56;
        elf[0x38] = 1;
        Assert.Throws<InvalidDataException>(() => ElfDependencies.Read(elf, "x"));
    }
}
