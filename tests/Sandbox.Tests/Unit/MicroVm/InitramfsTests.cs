using System.Text;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class InitramfsTests
{
    private static byte[] Build() => CpioWriter.ToBytes(InitramfsBuilder.Entries(
        [0x7f, 0x45, 0x4c, 0x46], InitramfsBuilder.InitScript,
        [("virtio_ring", [1]), ("virtio", [2]), ("virtio_mmio", [3])]));

    [Fact]
    public void The_same_inputs_give_the_same_archive() => Assert.Equal(Build(), Build());

    [Fact]
    public void It_holds_init_busybox_and_the_modules_in_load_order()
    {
        var entries = InitramfsBuilder.Entries([1], "#!/bin/busybox sh\n", [("b", [1]), ("a", [2])]);
        var init = Assert.IsType<CpioEntry.File>(entries.Single(e => e.Path == "init"));
        Assert.Equal(0x1EDu, init.Permissions);
        Assert.Contains(entries, e => e.Path == "bin/busybox");
        Assert.Contains(entries, e => e is CpioEntry.CharDevice { Path: "dev/console", Major: 5, Minor: 1 });
        var order = Assert.IsType<CpioEntry.File>(entries.Single(e => e.Path == "etc/modules"));
        Assert.Equal("b\na\n", Encoding.UTF8.GetString(order.Content)); // the resolver's order, not sorted
    }

    [Fact]
    public void The_listing_holds_init_busybox_the_modules_and_crun_with_its_libraries()
    {
        var entries = InitramfsBuilder.Entries([1], "#!/bin/busybox sh\n", [("virtio_mmio", [2])],
            [new GuestFile("usr/bin/crun", [3]), new GuestFile("lib64/ld-linux-x86-64.so.2", [4]), new GuestFile("lib/x86_64-linux-gnu/libc.so.6", [5]),
                new GuestFile(GuestRuntime.VersionPath, [6], 0x1A4)]);
        string listing = string.Join('\n', entries.Select(e => e switch
        {
            CpioEntry.Symlink l => $"{l.Path} -> {l.Target}",
            CpioEntry.CharDevice d => $"{d.Path} c {d.Major}:{d.Minor} {Convert.ToString(d.Permissions, 8)}",
            _ => $"{e.Path} {Convert.ToString(e.Permissions, 8)}",
        })) + "\n";
        Snapshot.Match("initramfs-listing.txt", listing);
    }

    [Fact]
    public void A_kernel_with_everything_built_in_gets_an_empty_module_list_and_init_then_disables_loading()
    {
        var entries = InitramfsBuilder.Entries([1], InitramfsBuilder.InitScript, []);
        Assert.Empty(Assert.IsType<CpioEntry.File>(entries.Single(e => e.Path == "etc/modules")).Content);
        Assert.DoesNotContain(entries, e => e.Path.EndsWith(".ko", StringComparison.Ordinal));
        string init = InitramfsBuilder.InitScript;
        int load = init.IndexOf("insmod", StringComparison.Ordinal);
        int disable = init.IndexOf("echo 1 >/proc/sys/kernel/modules_disabled", StringComparison.Ordinal);
        Assert.True(load > 0 && disable > load, "init disables module loading after loading its list");
    }

    [Fact]
    public void The_init_script_is_embedded_and_never_evaluates_the_spec_outside_its_file()
    {
        string init = InitramfsBuilder.InitScript;
        Assert.StartsWith("#!/bin/busybox sh", init, StringComparison.Ordinal);
        Assert.DoesNotContain("eval", init, StringComparison.Ordinal);
        Assert.Contains("3>&-", init, StringComparison.Ordinal); // the workload never inherits the control port
    }

    [Fact]
    public async Task The_runtime_version_file_holds_the_binarys_own_first_line_as_printable_ascii()
    {
        string runtime = FakeRuntime("printf 'crun version 9.9.9\\033[1m\\ncommit: abc\\n'");
        GuestFile file = await GuestRuntime.VersionFileAsync(new GuestFileSource("usr/bin/crun", runtime, ""), CancellationToken.None);
        Assert.Equal((GuestRuntime.VersionPath, "crun version 9.9.9[1m\n", 0x1A4u), (file.GuestPath, Encoding.ASCII.GetString(file.Content), file.Mode));
    }

    [Theory]
    [InlineData("exit 3")]
    [InlineData("printf '\\001\\n'")]
    public async Task A_runtime_that_cannot_say_its_version_builds_no_archive(string body)
    {
        string runtime = FakeRuntime(body);
        var e = await Assert.ThrowsAsync<Sandbox.Runtime.SandboxException>(() =>
            GuestRuntime.VersionFileAsync(new GuestFileSource("usr/bin/crun", runtime, ""), CancellationToken.None));
        Assert.Contains($"{runtime} --version failed", e.Message, StringComparison.Ordinal);
    }

    private static string FakeRuntime(string body)
    {
        string path = Path.Combine(TestTemp.Directory("fake-runtime-"), "crun");
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
        return path;
    }
}
