using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>One module kept from the kernel package, uncompressed, with its digest.</summary>
public sealed record ModuleFile(string Name, string Sha256);

/// <summary>
/// What `kernel fetch` recorded for one fetched kernel (manifest.json beside vmlinuz): the package
/// and version apt verified, the digests of the .deb and of every file kept. Every use re-checks
/// vmlinuz and the modules against it. RequestedModules is the catalog's module list at fetch time:
/// a kernel fetched for an older list lacks modules the guest init now loads (null: fetched before
/// the list was recorded). A built kernel (kernel build) has no .deb of its own: DebSha256 is its
/// source package's, ImageFile is "vmlinux" (the PVH ELF QEMU boots directly) and Build says what it
/// was built from.
/// </summary>
public sealed record KernelManifest(
    string Name,
    string Package,
    string Version,
    string KernelRelease,
    string Mirror,
    string DebSha256,
    string VmlinuzSha256,
    IReadOnlyList<ModuleFile> Modules,
    IReadOnlyList<string>? RequestedModules = null,
    string? ImageFile = null,
    KernelBuildRecord? Build = null)
{
    /// <summary>The kernel image's file name in the kernel's directory.</summary>
    public string Image => ImageFile ?? KernelStore.VmlinuzFile;

    /// <summary>True when this kernel was fetched for exactly the modules <paramref name="entry"/> lists.</summary>
    public bool HasModulesOf(KernelEntry entry) => RequestedModules is { } r && r.SequenceEqual(entry.Modules);

    public string ToJson() => JsonSerializer.Serialize(this, KernelJsonContext.Default.KernelManifest);

    public static KernelManifest FromJson(string json) =>
        JsonSerializer.Deserialize(json, KernelJsonContext.Default.KernelManifest)
        ?? throw new InvalidDataException("empty kernel manifest");
}

/// <summary>What a built kernel was built from (<see cref="KernelBuildKey"/>) and the digest of its full .config.</summary>
public sealed record KernelBuildRecord(string Key, string SourcePackage, string SourceVersion, string FragmentSha256, string Toolchain, string ConfigSha256);

/// <summary>`sandbox kernel ls --json` rows. Status: no (not fetched), yes, STALE (older module list), CORRUPT.</summary>
public sealed record KernelListing(
    string Name, string Description, bool Default, string Source, bool Fetched, string? Version,
    string? Package, string? VmlinuzSha256, string? DebSha256, string? Problem, string Status);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(KernelManifest))]
internal sealed partial class KernelJsonContext : JsonSerializerContext;
