using System.Security.Cryptography;
using Sandbox.Backends.MicroVm.Initramfs;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// Fetched kernels under the state root: kernels/NAME/{manifest.json, vmlinuz, modules/, modules.dep}.
/// A kernel is usable only when every file still has the digest its manifest recorded, so a
/// tampered or truncated vmlinuz is refused instead of booted.
/// </summary>
public sealed class KernelStore(StateRoot root)
{
    public const string ManifestFile = "manifest.json";
    public const string VmlinuzFile = "vmlinuz";
    public const string VmlinuxFile = "vmlinux";

    public string Directory => Path.Combine(root.Path, "kernels");

    public string PathOf(string name) => Path.Combine(Directory, name);

    public string Ensure() => root.Ensure(Directory, traversable: true);

    /// <summary>The verified kernel, or a 125 error saying how to get one.</summary>
    public FetchedKernel Open(KernelEntry entry)
    {
        string dir = PathOf(entry.Name);
        string manifestPath = Path.Combine(dir, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new SandboxException(ErrorKind.Refused,
                $"refused: the microVM needs guest kernel '{entry.Name}', which is not installed (no {manifestPath})",
                entry.InstallCommand);
        }

        var manifest = KernelManifest.FromJson(File.ReadAllText(manifestPath));
        var facts = new FileFactsCache(Path.Combine(Directory, FactsFile));
        if (Verify(dir, manifest, facts) is { } problem)
        {
            throw new SandboxException(ErrorKind.Refused,
                $"refused: guest kernel '{entry.Name}' failed verification: {problem}",
                $"install it again: {entry.InstallCommand}");
        }

        if (!manifest.HasModulesOf(entry))
        {
            throw new SandboxException(ErrorKind.Refused,
                $"refused: guest kernel '{entry.Name}' was fetched for another module list than kernels/catalog.yaml now names ({string.Join(", ", entry.Modules)})",
                $"install it again: {entry.InstallCommand}");
        }

        facts.Save();
        return new FetchedKernel(entry, manifest, dir);
    }

    /// <summary>
    /// The kernels' digests by file identity (inode, size, mtime, ctime): a run stats the kernel
    /// instead of hashing 30 MB twice (prepare and create); any write to it changes its ctime, and
    /// then it is hashed again.
    /// </summary>
    private const string FactsFile = ".file-facts";

    /// <summary>True when the kernel has a manifest (installed; verified only when opened).</summary>
    public bool IsInstalled(string name) => File.Exists(Path.Combine(PathOf(name), ManifestFile));

    /// <summary>The manifest if present (unverified), for listings.</summary>
    public KernelManifest? ReadManifest(string name) => ReadManifestAt(PathOf(name));

    /// <summary>The manifest in <paramref name="dir"/> if present (unverified).</summary>
    public static KernelManifest? ReadManifestAt(string dir)
    {
        string path = Path.Combine(dir, ManifestFile);
        return File.Exists(path) ? KernelManifest.FromJson(File.ReadAllText(path)) : null;
    }

    /// <summary>Null when every file matches the manifest, else what does not (digests from <paramref name="facts"/> when given).</summary>
    public static string? Verify(string dir, KernelManifest manifest, FileFactsCache? facts = null)
    {
        string vmlinuz = Path.Combine(dir, manifest.Image);
        if (Sha256Of(vmlinuz, facts) is not { } actual || actual != manifest.VmlinuzSha256)
        {
            return $"{vmlinuz} does not match the sha256 recorded at fetch time ({manifest.VmlinuzSha256})";
        }

        foreach (var module in manifest.Modules)
        {
            string path = Path.Combine(dir, "modules", module.Name + ".ko");
            if (Sha256Of(path, facts) != module.Sha256)
            {
                return $"{path} does not match the sha256 recorded at fetch time ({module.Sha256})";
            }
        }

        return null;
    }

    public static string? Sha256Of(string path, FileFactsCache? facts = null)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        if (facts is not null)
        {
            return facts.Facts(path, elf: false).Sha256;
        }

        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
