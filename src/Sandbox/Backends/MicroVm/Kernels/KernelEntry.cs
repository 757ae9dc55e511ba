namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>One apt source line: an archive (debian, debian-security) and a suite.</summary>
public sealed record AptSource(string Archive, string Suite);

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
    IReadOnlyList<string> Modules)
{
    /// <summary>True when <paramref name="package"/> is the real image package this entry's metapackage may point at.</summary>
    public bool IsImagePackage(string package) =>
        package.StartsWith(ImagePackagePrefix, StringComparison.Ordinal)
        && package.EndsWith(ImagePackageSuffix, StringComparison.Ordinal)
        && package.Length > ImagePackagePrefix.Length + ImagePackageSuffix.Length;
}
