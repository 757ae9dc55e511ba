using System.Text;
using Sandbox.Host;
using Sandbox.Host.Files;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// `sandbox kernel fetch NAME`: resolve the entry's metapackage to the real image package through a
/// private apt configuration, download it (apt verifies it against Debian's signed index; we check
/// the sha256 again ourselves, and again for a cached copy), unpack it, keep vmlinuz and the
/// modules the guest needs (decompressed), and publish the result atomically with a manifest.
/// </summary>
public sealed class KernelFetcher(StateRoot root, TextWriter log)
{
    private static readonly string[] ModuleDirs = ["lib", "usr/lib"];

    private readonly KernelStore _store = new(root);

    public async Task<KernelManifest> FetchAsync(KernelEntry entry, CancellationToken ct = default)
    {
        if (entry.Build is not null)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"kernel {entry.Name} is built from source, not fetched", entry.InstallCommand);
        }

        var mirror = DebianMirror.FromHost();
        string kernels = _store.Ensure();
        // Concurrent fetches of one kernel take turns: the second finds it fetched and verified, and
        // never moves the directory aside while the first (or a run) is reading it.
        using var turn = ExclusiveFileLock.Take(Path.Combine(kernels, $".lock-{entry.Name}"));
        string aptDir = Path.Combine(kernels, ".apt", entry.Name);
        var apt = new PrivateApt(aptDir, entry, mirror);

        log.WriteLine($"kernel {entry.Name}: updating package lists from {mirror.Main} ({string.Join(", ", entry.Sources.Select(s => s.Suite))})");
        Check(await apt.UpdateAsync(ct).ConfigureAwait(false), "apt-get update");
        string package = ParseImagePackage(entry, Check(await apt.DependsAsync(entry.Package, ct).ConfigureAwait(false), "apt-cache depends").Stdout);
        var record = AptRecord.Parse(Check(await apt.ShowAsync(package, ct).ConfigureAwait(false), "apt-cache show").Stdout, package);

        if (_store.ReadManifest(entry.Name) is { } current && current.Package == package && current.Version == record.Version
            && current.HasModulesOf(entry) && KernelStore.Verify(_store.PathOf(entry.Name), current) is null)
        {
            log.WriteLine($"kernel {entry.Name}: {package} {record.Version} is already fetched and verified");
            return current;
        }

        string deb = await DownloadAsync(apt, Path.Combine(aptDir, "debs"), package, record, log, ct).ConfigureAwait(false);
        string staging = Path.Combine(kernels, $".tmp-{entry.Name}-{Guid.NewGuid():N}");
        try
        {
            var manifest = await UnpackAsync(entry, package, record, mirror, deb, staging, ct).ConfigureAwait(false);
            Publish(staging, _store.PathOf(entry.Name));
            log.WriteLine($"kernel {entry.Name}: {package} {record.Version} (kernel {manifest.KernelRelease}, {manifest.Modules.Count} modules) is ready");
            return manifest;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The first `Depends:` of the metapackage that is a real image package of this entry.</summary>
    public static string ParseImagePackage(KernelEntry entry, string dependsOutput)
    {
        foreach (string line in dependsOutput.Split('\n'))
        {
            string t = line.Trim().TrimStart('|');
            if (t.StartsWith("Depends:", StringComparison.Ordinal) && t[8..].Trim() is var name && entry.IsImagePackage(name))
            {
                return name;
            }
        }

        throw new SandboxException(ErrorKind.EngineFailed,
            $"kernel {entry.Name}: {entry.Package} does not depend on a package named {entry.ImagePackagePrefix}*{entry.ImagePackageSuffix}",
            "the catalog entry's imagePackage no longer matches Debian's package names; update kernels/catalog.yaml");
    }

    /// <summary>The package's .deb in <paramref name="debs"/>, downloaded unless a copy matching the signed index is there.</summary>
    internal static async Task<string> DownloadAsync(PrivateApt apt, string debs, string package, AptRecord record, TextWriter log, CancellationToken ct)
    {
        Directory.CreateDirectory(debs);
        string cached = Path.Combine(debs, Path.GetFileName(record.Filename));
        if (File.Exists(cached))
        {
            if (KernelStore.Sha256Of(cached) == record.Sha256)
            {
                log.WriteLine($"kernel: reusing the verified download {cached}");
                return cached;
            }

            log.WriteLine($"kernel: the cached download {cached} does not match the signed index (sha256 {record.Sha256}); discarding it");
            File.Delete(cached);
        }

        string temp = Path.Combine(debs, $".download-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            log.WriteLine($"kernel: downloading {package} {record.Version}");
            Check(await apt.DownloadAsync(package, temp, ct).ConfigureAwait(false), "apt-get download");
            string file = Directory.EnumerateFiles(temp, "*.deb").SingleOrDefault()
                ?? throw new SandboxException(ErrorKind.EngineFailed, $"apt-get download {package} left no .deb in {temp}");
            VerifyDeb(file, record.Sha256);
            File.Move(file, cached, overwrite: true);
            return cached;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Refuses a package whose sha256 differs from Debian's signed index.</summary>
    public static void VerifyDeb(string file, string expectedSha256)
    {
        string? actual = KernelStore.Sha256Of(file);
        if (actual != expectedSha256)
        {
            throw new SandboxException(ErrorKind.EngineFailed,
                $"refused: {file} has sha256 {actual}, but Debian's signed index says {expectedSha256}",
                "the download is corrupted or was tampered with; fetch again, or check the mirror");
        }
    }

    private static async Task<KernelManifest> UnpackAsync(
        KernelEntry entry, string package, AptRecord record, DebianMirror mirror, string deb, string staging, CancellationToken ct)
    {
        string extracted = Path.Combine(staging, "extracted");
        Directory.CreateDirectory(extracted);
        Check(await ExternalCommand.RunAsync(Tool("dpkg-deb"), ["-x", deb, extracted], ToolTimeout, ct).ConfigureAwait(false), "dpkg-deb -x");

        string vmlinuz = Directory.EnumerateFiles(Path.Combine(extracted, "boot"), "vmlinuz-*").SingleOrDefault()
            ?? throw new SandboxException(ErrorKind.EngineFailed, $"{deb} holds no /boot/vmlinuz-*");
        string release = Path.GetFileName(vmlinuz)["vmlinuz-".Length..];
        string moduleRoot = ModuleDirs.Select(p => Path.Combine(extracted, p, "modules", release)).FirstOrDefault(Directory.Exists)
            ?? throw new SandboxException(ErrorKind.EngineFailed, $"{deb} holds no modules directory for {release}");

        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in TreeWalk.Below(moduleRoot).Where(e => !e.IsDirectory && !e.IsLink).Select(e => e.Path)
            .Where(p => Path.GetFileName(p).Contains(".ko", StringComparison.Ordinal)))
        {
            string name = Path.GetFileName(file);
            name = name.EndsWith(".ko.xz", StringComparison.Ordinal) ? name[..^6] : name.EndsWith(".ko", StringComparison.Ordinal) ? name[..^3] : "";
            if (name.Length > 0)
            {
                index[ModuleResolver.Normalize(name)] = file;
            }
        }

        string builtinList = Path.Combine(moduleRoot, "modules.builtin");
        var builtin = File.Exists(builtinList)
            ? File.ReadLines(builtinList).Select(l => ModuleResolver.Normalize(Path.GetFileName(l).Replace(".ko", "", StringComparison.Ordinal))).ToHashSet()
            : [];

        string kept = Path.Combine(staging, "modules");
        Directory.CreateDirectory(kept);
        var deps = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var order = ModuleResolver.LoadOrder(entry.Modules, builtin.Contains, name =>
        {
            string source = index.GetValueOrDefault(name) ?? throw new SandboxException(ErrorKind.EngineFailed,
                $"kernel {entry.Name}: module '{name}' is neither in {package} nor built in",
                "fix the modules list in kernels/catalog.yaml");
            string target = Path.Combine(kept, name + ".ko");
            Decompress(source, target);
            var direct = ModuleInfo.Depends(File.ReadAllBytes(target), target);
            deps[name] = direct;
            return direct;
        });

        File.Copy(vmlinuz, Path.Combine(staging, KernelStore.VmlinuzFile));
        var depLines = new StringBuilder();
        foreach (string m in order)
        {
            depLines.Append(m).Append(".ko:").AppendJoin("", deps[m].Select(d => $" {ModuleResolver.Normalize(d)}.ko")).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(staging, "modules.dep"), depLines.ToString(), ct).ConfigureAwait(false);
        foreach (string unused in Directory.EnumerateFiles(kept).Where(f => !order.Contains(Path.GetFileNameWithoutExtension(f))))
        {
            File.Delete(unused);
        }

        Directory.Delete(extracted, recursive: true);
        var manifest = new KernelManifest(entry.Name, package, record.Version, release, mirror.Main, record.Sha256,
            KernelStore.Sha256Of(Path.Combine(staging, KernelStore.VmlinuzFile))!,
            [.. order.Select(m => new ModuleFile(m, KernelStore.Sha256Of(Path.Combine(kept, m + ".ko"))!))], [.. entry.Modules]);
        await File.WriteAllTextAsync(Path.Combine(staging, KernelStore.ManifestFile), manifest.ToJson(), ct).ConfigureAwait(false);
        MakeReadable(staging);
        return manifest;
    }

    // Debian 6.12+ ships modules as .ko.xz; busybox insmod in the guest cannot read xz, so unpack here.
    private static void Decompress(string source, string target)
    {
        if (!source.EndsWith(".xz", StringComparison.Ordinal))
        {
            File.Copy(source, target, overwrite: true);
            return;
        }

        string xz = target + ".xz";
        File.Copy(source, xz, overwrite: true);
        Check(ExternalCommand.RunAsync(Tool("xz"), ["-d", "-f", xz], ToolTimeout, CancellationToken.None).GetAwaiter().GetResult(), "xz -d");
    }

    // The jailed VMM (an unprivileged host ID) reads vmlinuz through a bind mount: world-readable files, traversable dirs.
    internal static void MakeReadable(string dir)
    {
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        foreach (var entry in TreeWalk.Below(dir).Where(e => !e.IsLink)) // chmod follows a link: never a host file through one
        {
            File.SetUnixFileMode(entry.Path, (UnixFileMode)(entry.IsDirectory ? 0b111_101_101 : 0b110_100_100));
        }
    }

    internal static void Publish(string staging, string final)
    {
        string? old = Directory.Exists(final) ? final + $".old-{Guid.NewGuid():N}" : null;
        if (old is not null)
        {
            Directory.Move(final, old);
        }

        Directory.Move(staging, final);
        if (old is not null)
        {
            Directory.Delete(old, recursive: true);
        }
    }

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(5);

    internal static string Tool(string name) => ExecutableLocator.Find(name)
        ?? throw new SandboxException(ErrorKind.HostUnsupported, $"'{name}' is not installed; fetching guest kernels needs it",
            name == "xz" ? "apt-get install xz-utils" : "run this on a Debian host");

    internal static CommandOutput Check(CommandOutput result, string what) =>
        result.Succeeded ? result : throw new SandboxException(ErrorKind.EngineFailed,
            $"{what} failed (exit {result.ExitCode}): {LastLines((result.Error ?? string.Empty) + result.Stderr + result.Stdout)}",
            "check the network and the Debian mirror in /etc/apt/sources.list(.d)");

    private static string LastLines(string text) => string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
}
