namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>One apt source line: an archive (debian, debian-security) and a suite.</summary>
public sealed record AptSource(string Archive, string Suite);

/// <summary>
/// How a built kernel is made: Debian's <paramref name="SourcePackage"/> (linux-source-X, fetched and
/// verified through apt) compiled with the fragment kernels/config/<paramref name="ConfigName"/> on
/// top of allnoconfig.
/// </summary>
public sealed record KernelBuildSpec(string SourcePackage, string ConfigName);

/// <summary>One guest kernel in the catalog (kernels/catalog.yaml): where it comes from and how to boot it.</summary>
public sealed record KernelEntry(
    string Name,
    string Description,
    IReadOnlyList<AptSource> Sources,
    string Package,
    string ImagePackagePrefix,
    string ImagePackageSuffix,
    IReadOnlyList<string> MachineOptions,
    IReadOnlyList<string> CommandLine,
    IReadOnlyList<string> Modules,
    KernelBuildSpec? Build = null,
    IReadOnlyList<string>? TcgCommandLine = null)
{
    /// <summary>Kernel options appended only when QEMU emulates the CPU (TCG), where they save boot time.</summary>
    public IReadOnlyList<string> TcgOnly => TcgCommandLine ?? [];

    /// <summary>True when <paramref name="package"/> is the real image package this entry's metapackage may point at.</summary>
    public bool IsImagePackage(string package) =>
        Build is null
        && package.StartsWith(ImagePackagePrefix, StringComparison.Ordinal)
        && package.EndsWith(ImagePackageSuffix, StringComparison.Ordinal)
        && package.Length > ImagePackagePrefix.Length + ImagePackageSuffix.Length;

    /// <summary>How this kernel gets installed: `sandbox kernel build NAME` or `sandbox kernel fetch NAME`.</summary>
    public string InstallCommand => $"sandbox kernel {(Build is null ? "fetch" : "build")} {Name}";
}
