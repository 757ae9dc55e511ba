using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// What a built kernel depends on, and its cache key: the sha256 of <see cref="Describe"/>. The same
/// source package version, fragment, toolchain and recipe give the same key, so `kernel build` of an
/// installed kernel with that key does nothing; any change rebuilds. Pure: snapshot-tested.
/// </summary>
public sealed record KernelBuildKey(string SourcePackage, string SourceVersion, string SourceSha256, string FragmentSha256, string Toolchain)
{
    /// <summary>Bumped when the recipe (KernelBuilder's steps or make targets) changes what comes out.</summary>
    public const string Recipe = "sandbox-kernel-build-1 allnoconfig+fragment vmlinux";

    public static KernelBuildKey For(string sourcePackage, AptRecord source, ConfigFragment fragment, string toolchain) =>
        new(sourcePackage, source.Version, source.Sha256, Sha256(fragment.Text), toolchain);

    public string Describe() => $"""
        recipe {Recipe}
        source {SourcePackage} {SourceVersion} sha256:{SourceSha256}
        fragment sha256:{FragmentSha256}
        toolchain {Toolchain}

        """;

    public string Key => Sha256(Describe());

    /// <summary>The toolchain identity from the first line of `gcc --version` and `ld --version`.</summary>
    public static string ToolchainOf(string gccVersion, string ldVersion) =>
        $"{FirstLine(gccVersion)} | {FirstLine(ldVersion)}";

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "unknown";

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
