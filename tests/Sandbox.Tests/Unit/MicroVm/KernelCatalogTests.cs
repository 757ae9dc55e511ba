using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.MicroVm;

public sealed class KernelCatalogTests
{
    private static readonly KernelCatalog Catalog = KernelCatalog.BuiltIn;

    [Fact]
    public void The_default_is_bookworms_6_1_and_the_legacy_5_10_is_listed()
    {
        Assert.Equal("debian-6.1", Catalog.DefaultName);
        Assert.Equal("debian-6.1", Catalog.Get(null).Name);
        Assert.Contains(Catalog.Get("debian-5.10").Sources, s => s.Suite == "bullseye");
    }

    [Fact]
    public void A_built_minimal_kernel_is_preferred_over_the_default_only_once_installed()
    {
        Assert.Equal(["minimal-6.1"], Catalog.Preferred);
        Assert.Equal("debian-6.1", Catalog.Choose(null, _ => false).Name);
        Assert.Equal("minimal-6.1", Catalog.Choose(null, n => n == "minimal-6.1").Name);
        Assert.Equal("debian-5.10", Catalog.Choose("debian-5.10", _ => true).Name); // a named kernel (or a policy's) always wins
        Assert.Equal("sandbox kernel build minimal-6.1", Catalog.Get("minimal-6.1").InstallCommand);
        Assert.Equal("sandbox kernel fetch debian-6.1", Catalog.Get("debian-6.1").InstallCommand);
    }

    [Fact]
    public void Built_kernels_name_their_source_package_and_fragment_and_load_no_modules()
    {
        var built = Catalog.Entries.Where(e => e.Build is not null).ToList();
        Assert.Contains(built, e => e.Name == "minimal-6.1");
        foreach (var e in built)
        {
            Assert.StartsWith("linux-source-", e.Build!.SourcePackage, StringComparison.Ordinal);
            Assert.Empty(e.Modules);
            Assert.False(e.IsImagePackage("linux-image-6.1.0-56-amd64"));
            Assert.NotEmpty(ConfigFragment.BuiltIn(e.Build.ConfigName).Symbols);
            Assert.Contains("acpi=off", e.MachineOptions); // QEMU puts the virtio-mmio devices on the command line
        }
    }

    [Fact]
    public void A_catalog_whose_preferred_kernel_is_unknown_or_that_builds_modules_is_a_defect()
    {
        static string Catalog(string preferred, string modules) =>
            $"default: k\npreferred: [{preferred}]\nkernels:\n  - name: k\n    description: d\n    sources: [{{archive: debian, suite: bookworm}}]\n"
            + $"    build: {{source: linux-source-6.1, config: minimal-6.1.config}}\n    machine: []\n    cmdline: []\n    modules: [{modules}]\n";
        Assert.Equal("k", KernelCatalog.Parse(Catalog("k", "")).Choose(null, _ => true).Name);
        Assert.Throws<InvalidDataException>(() => KernelCatalog.Parse(Catalog("nope", "")));
        Assert.Throws<InvalidDataException>(() => KernelCatalog.Parse(Catalog("k", "ext4")));
    }

    [Fact]
    public void Every_fetched_entry_uses_the_generic_amd64_flavour_which_has_9p()
    {
        foreach (var e in Catalog.Entries.Where(e => e.Build is null))
        {
            Assert.Equal("linux-image-amd64", e.Package);
            Assert.DoesNotContain("cloud", e.ImagePackagePrefix + e.ImagePackageSuffix, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Legacy_5_10_boots_with_pit_and_pic_and_emulates_vsyscall()
    {
        var legacy = Catalog.Get("debian-5.10");
        Assert.Contains("pit=on", legacy.MachineOptions);
        Assert.Contains("pic=on", legacy.MachineOptions);
        Assert.Contains("vsyscall=emulate", legacy.CommandLine);
        Assert.DoesNotContain("vsyscall=emulate", Catalog.Get("debian-6.1").CommandLine);
    }

    [Fact]
    public void Every_entry_ends_the_vm_on_reboot_and_panic()
    {
        foreach (var e in Catalog.Entries)
        {
            Assert.Contains("reboot=t", e.CommandLine);
            Assert.Contains("panic=-1", e.CommandLine);
            Assert.Contains("console=ttyS0", e.CommandLine);
            if (e.Build is null)
            {
                Assert.Contains("acpi=on", e.MachineOptions);
                Assert.Equal(["virtio_mmio", "virtio_blk", "virtio_console"], e.Modules.Take(3));
            }
        }
    }

    [Fact]
    public void Unknown_names_are_a_125_listing_the_catalog()
    {
        var e = Assert.Throws<SandboxException>(() => Catalog.Get("debian-2.6"));
        Assert.Equal(125, e.ExitCode);
        Assert.Contains("debian-5.10", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void The_image_package_must_match_the_entry()
    {
        var e = Catalog.Get("debian-6.1");
        Assert.True(e.IsImagePackage("linux-image-6.1.0-56-amd64"));
        Assert.False(e.IsImagePackage("linux-image-6.1.0-56-cloud-amd64x"));
        Assert.False(e.IsImagePackage("linux-image-5.10.0-46-amd64"));
        string depends = "linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n";
        Assert.Equal("linux-image-6.1.0-56-amd64", KernelFetcher.ParseImagePackage(e, depends));
        Assert.Throws<SandboxException>(() => KernelFetcher.ParseImagePackage(e, "  Depends: linux-image-5.10.0-1-amd64\n"));
    }

    [Fact]
    public void The_run_help_names_the_kernel_a_run_boots_when_it_names_none()
    {
        // --help's text is a constant (building it must not parse the catalog on every run); the
        // help snapshots pin the text, this keeps it in step with the catalog.
        string says = $"default: {string.Join(" or ", Catalog.Preferred)} once built, else {Catalog.DefaultName}";
        foreach (string help in new[] { "help-run.txt", "help-policy-explain.txt" })
        {
            Assert.Contains(says, File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "Sandbox.Tests", "Snapshots", help)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Tcg_only_options_are_appended_only_when_qemu_emulates_the_cpu()
    {
        var minimal = Catalog.Get("minimal-6.1");
        Assert.Equal(["nolapic_timer", "noreplace-smp"], minimal.TcgOnly);
        var tcg = Sandbox.Backends.MicroVm.MicroVmBackend.KernelCommandLine(minimal, Sandbox.Backends.MicroVm.Qemu.Accelerator.Tcg);
        Assert.Equal([.. minimal.CommandLine, "nolapic_timer", "noreplace-smp"], tcg.Take(minimal.CommandLine.Count + 2));
        Assert.Equal(minimal.CommandLine, Sandbox.Backends.MicroVm.MicroVmBackend.KernelCommandLine(minimal, Sandbox.Backends.MicroVm.Qemu.Accelerator.Kvm));
        Assert.Empty(Catalog.Get("debian-6.1").TcgOnly);
    }

    [Fact]
    public void The_minimal_legacy_kernel_emulates_vsyscall_like_debians_5_10()
    {
        var legacy = Catalog.Get("minimal-5.10");
        Assert.Equal("linux-source-5.10", legacy.Build!.SourcePackage);
        Assert.Contains("vsyscall=emulate", legacy.CommandLine);
        Assert.Contains(legacy.Sources, s => s.Suite == "bullseye-security");
    }
}
