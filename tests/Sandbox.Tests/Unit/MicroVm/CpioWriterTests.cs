using System.Text;
using Sandbox.Backends.MicroVm.Initramfs;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class CpioWriterTests
{
    private static CpioEntry[] Sample() =>
    [
        new CpioEntry.File("bin/busybox", [1, 2, 3], 0x1ED),
        new CpioEntry.Directory("bin"),
        new CpioEntry.Symlink("bin/sh", "busybox"),
        new CpioEntry.CharDevice("dev/console", 5, 1),
        new CpioEntry.Directory("dev"),
        new CpioEntry.File("init", Encoding.UTF8.GetBytes("#!/bin/sh\n"), 0x1ED),
    ];

    [Fact]
    public void Same_entries_in_any_order_give_the_same_bytes()
    {
        byte[] a = CpioWriter.ToBytes(Sample());
        byte[] b = CpioWriter.ToBytes(Sample().Reverse());
        Assert.Equal(a, b);
    }

    [Fact]
    public void Records_are_newc_with_zero_owner_and_mtime_and_parents_first()
    {
        string text = Encoding.ASCII.GetString(CpioWriter.ToBytes(Sample()));
        Assert.StartsWith("070701", text, StringComparison.Ordinal);
        // first record: inode 1, mode 040755 (dir bin), uid 0, gid 0, nlink 2, mtime 0
        Assert.Equal("070701" + "00000001" + "000041ed" + "00000000" + "00000000" + "00000002" + "00000000", text[..54]);
        Assert.True(text.IndexOf("bin\0", StringComparison.Ordinal) < text.IndexOf("bin/busybox\0", StringComparison.Ordinal));
        Assert.Contains("TRAILER!!!\0", text, StringComparison.Ordinal);
        Assert.Equal(0, CpioWriter.ToBytes(Sample()).Length % 4);
    }

    [Fact]
    public void Busybox_cpio_lists_what_was_written()
    {
        string busybox = Support.Require.Tool("busybox");
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, CpioWriter.ToBytes(Sample()));
            var psi = new System.Diagnostics.ProcessStartInfo(busybox) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "sh", "-c", $"busybox cpio -t < {file}" })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = System.Diagnostics.Process.Start(psi)!;
            string listing = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(["bin", "bin/busybox", "bin/sh", "dev", "dev/console", "init"], listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/./b")]
    [InlineData("")]
    public void Invalid_paths_are_refused(string path) =>
        Assert.Throws<ArgumentException>(() => CpioWriter.ToBytes([new CpioEntry.Directory(path)]));
}
