using Sandbox.Host;
using Sandbox.Host.Files;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Kernels;

/// <summary>
/// `sandbox kernel build NAME`: compile a minimal guest kernel from Debian's linux-source-X package
/// (downloaded through the entry's private apt configuration: signature and sha256 verified like a
/// fetched kernel) with the entry's config fragment on top of allnoconfig, everything built in. The
/// build is keyed by <see cref="KernelBuildKey"/> (source version, fragment, toolchain, recipe):
/// an installed kernel with the same key is kept. tar and make run as external programs, niced,
/// and as an unprivileged user (nobody) when the caller is root; the result is the PVH vmlinux plus
/// its .config, published atomically with a manifest like a fetched kernel.
/// </summary>
/// <param name="root">The state root the kernel is installed in.</param>
/// <param name="log">Progress lines.</param>
/// <param name="cache">
/// Optional directory of finished builds by key (`kernel build --cache DIR`), shared by state roots
/// on one machine (the test suite's and the demo's): a build found there is verified against its
/// manifest and copied instead of compiled. It must be as trusted as the state root: owned by the
/// caller and writable by no one else, or it is refused.
/// </param>
public sealed class KernelBuilder(StateRoot root, TextWriter log, string? cache = null)
{
    /// <summary>The unprivileged user and group the compiler runs as when the caller is root.</summary>
    public const int BuildUser = 65534;

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MakeTimeout = TimeSpan.FromMinutes(120);

    private readonly KernelStore _store = new(root);

    public async Task<KernelManifest> BuildAsync(KernelEntry entry, CancellationToken ct = default)
    {
        KernelBuildSpec spec = entry.Build ?? throw new SandboxException(ErrorKind.InvalidArgument,
            $"kernel {entry.Name} is Debian's packaged kernel, not built from source", entry.InstallCommand);
        var fragment = ConfigFragment.BuiltIn(spec.ConfigName);
        string? cacheDir = cache is null ? null : TrustedCache(cache);
        var mirror = DebianMirror.FromHost();
        string kernels = _store.Ensure();
        using var turn = ExclusiveFileLock.Take(Path.Combine(kernels, $".lock-{entry.Name}"));
        // Holding the lock, any build tree of this kernel is a killed build's (~1.5 GB each): remove it.
        foreach (string stale in Directory.EnumerateDirectories(kernels, $".build-{entry.Name}-*"))
        {
            Directory.Delete(stale, recursive: true);
        }

        string aptDir = Path.Combine(kernels, ".apt", entry.Name);
        var apt = new PrivateApt(aptDir, entry, mirror);

        log.WriteLine($"kernel {entry.Name}: updating package lists from {mirror.Main} ({string.Join(", ", entry.Sources.Select(s => s.Suite))})");
        KernelFetcher.Check(await apt.UpdateAsync(ct).ConfigureAwait(false), "apt-get update");
        var record = AptRecord.Parse(KernelFetcher.Check(await apt.ShowAsync(spec.SourcePackage, ct).ConfigureAwait(false), "apt-cache show").Stdout, spec.SourcePackage);
        var key = KernelBuildKey.For(spec.SourcePackage, record, fragment, await ToolchainAsync(ct).ConfigureAwait(false));

        string? cached = cacheDir is null ? null : Path.Combine(cacheDir, key.Key);
        if (_store.ReadManifest(entry.Name) is { Build: { } built } current && built.Key == key.Key
            && KernelStore.Verify(_store.PathOf(entry.Name), current) is null)
        {
            Remember(_store.PathOf(entry.Name), cached);
            log.WriteLine($"kernel {entry.Name}: {spec.SourcePackage} {record.Version} is already built with this config and toolchain (key {key.Key[..12]})");
            return current;
        }

        if (cached is not null && KernelStore.ReadManifestAt(cached) is { Build: { } hit } copy && hit.Key == key.Key && copy.Name == entry.Name
            && KernelStore.Verify(cached, copy) is null)
        {
            string fromCache = Path.Combine(kernels, $".tmp-{entry.Name}-{Guid.NewGuid():N}");
            CopyDirectory(cached, fromCache);
            KernelFetcher.MakeReadable(fromCache);
            KernelFetcher.Publish(fromCache, _store.PathOf(entry.Name));
            log.WriteLine($"kernel {entry.Name}: {copy.KernelRelease} copied from the build cache {cached}");
            return copy;
        }

        string deb = await KernelFetcher.DownloadAsync(apt, Path.Combine(aptDir, "debs"), spec.SourcePackage, record, log, ct).ConfigureAwait(false);
        string work = Path.Combine(kernels, $".build-{entry.Name}-{Guid.NewGuid():N}");
        string staging = Path.Combine(kernels, $".tmp-{entry.Name}-{Guid.NewGuid():N}");
        try
        {
            string tree = await UnpackAsync(deb, work, ct).ConfigureAwait(false);
            log.WriteLine($"kernel {entry.Name}: configuring {spec.SourcePackage} {record.Version} with {spec.ConfigName} on allnoconfig");
            string fragmentFile = Path.Combine(work, spec.ConfigName);
            await File.WriteAllTextAsync(fragmentFile, fragment.Text, ct).ConfigureAwait(false);
            File.SetUnixFileMode(fragmentFile, (UnixFileMode)0b110_100_100);
            await MakeAsync(tree, [$"KCONFIG_ALLCONFIG={fragmentFile}", "allnoconfig"], ToolTimeout, ct).ConfigureAwait(false);
            string dotConfig = await File.ReadAllTextAsync(Path.Combine(tree, ".config"), ct).ConfigureAwait(false);
            if (fragment.Unmet(dotConfig) is { Count: > 0 } unmet)
            {
                throw new SandboxException(ErrorKind.EngineFailed,
                    $"kernel {entry.Name}: Kconfig did not apply {unmet.Count} option(s) of {spec.ConfigName}: {string.Join(", ", unmet)}",
                    "an option's dependencies are off: add them to the fragment in kernels/config/");
            }

            log.WriteLine($"kernel {entry.Name}: compiling vmlinux with {Environment.ProcessorCount} jobs (minutes; cached afterwards by key {key.Key[..12]})");
            await MakeAsync(tree, [$"-j{Environment.ProcessorCount}", "vmlinux"], MakeTimeout, ct).ConfigureAwait(false);
            string release = (await MakeAsync(tree, ["-s", "kernelrelease"], ToolTimeout, ct).ConfigureAwait(false)).Trim();

            Directory.CreateDirectory(staging);
            File.Copy(Path.Combine(tree, "vmlinux"), Path.Combine(staging, KernelStore.VmlinuxFile));
            File.Copy(Path.Combine(tree, ".config"), Path.Combine(staging, "config"));
            var manifest = new KernelManifest(entry.Name, spec.SourcePackage, record.Version, release, mirror.Main, record.Sha256,
                KernelStore.Sha256Of(Path.Combine(staging, KernelStore.VmlinuxFile))!, [], [], KernelStore.VmlinuxFile,
                new KernelBuildRecord(key.Key, spec.SourcePackage, record.Version, key.FragmentSha256, key.Toolchain,
                    KernelStore.Sha256Of(Path.Combine(staging, "config"))!));
            await File.WriteAllTextAsync(Path.Combine(staging, KernelStore.ManifestFile), manifest.ToJson(), ct).ConfigureAwait(false);
            KernelFetcher.MakeReadable(staging);
            Remember(staging, cached);

            KernelFetcher.Publish(staging, _store.PathOf(entry.Name));
            log.WriteLine($"kernel {entry.Name}: built {release} from {spec.SourcePackage} {record.Version} (key {key.Key[..12]})");
            return manifest;
        }
        finally
        {
            foreach (string dir in new[] { work, staging }.Where(Directory.Exists))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    // The cache directory, created 0700 if missing; refused unless owned by us and writable by no one else.
    private static string TrustedCache(string dir)
    {
        // What is there must be a directory (it is created when missing), and the directory itself.
        string? refused = new FileInfo(dir).LinkTarget is not null ? "is a symbolic link" : File.Exists(dir) ? "exists and is not a directory" : null;
        if (refused is not null)
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"--cache: '{dir}' {refused}",
                "give the path of a directory of finished builds (it is created when missing)");
        }

        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (uid, _) = FileOwner.Get(dir);
        var mode = File.GetUnixFileMode(dir);
        if (uid != Tmds.Linux.LibC.geteuid() || (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new SandboxException(ErrorKind.InvalidArgument,
                $"refused: the kernel build cache {dir} is owned by uid {uid} or writable by others; a build copied from it would be booted",
                "use a directory only you own and can write (chmod go-w)");
        }

        return dir;
    }

    // Puts a finished build into the cache under its key (copy, then rename; the first writer wins).
    private static void Remember(string built, string? cached)
    {
        if (cached is null || Directory.Exists(cached))
        {
            return;
        }

        string temp = $"{cached}.tmp-{Guid.NewGuid():N}";
        CopyDirectory(built, temp);
        try
        {
            Directory.Move(temp, cached);
        }
        catch (IOException) when (Directory.Exists(cached))
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    /// <summary>The compiler and linker versions that go into the build key.</summary>
    private static async Task<string> ToolchainAsync(CancellationToken ct)
    {
        var gcc = KernelFetcher.Check(await ExternalCommand.RunAsync(KernelFetcher.Tool("gcc"), ["--version"], ToolTimeout, ct).ConfigureAwait(false), "gcc --version");
        var ld = KernelFetcher.Check(await ExternalCommand.RunAsync(KernelFetcher.Tool("ld"), ["--version"], ToolTimeout, ct).ConfigureAwait(false), "ld --version");
        return KernelBuildKey.ToolchainOf(gcc.Stdout, ld.Stdout);
    }

    // The .deb holds usr/src/linux-source-X.tar.xz; its tree is unpacked by the build user into work/src.
    private async Task<string> UnpackAsync(string deb, string work, CancellationToken ct)
    {
        string debDir = Path.Combine(work, "deb");
        string src = Path.Combine(work, "src");
        Directory.CreateDirectory(debDir);
        Directory.CreateDirectory(src);
        File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
        KernelFetcher.Check(await ExternalCommand.RunAsync(KernelFetcher.Tool("dpkg-deb"), ["-x", deb, debDir], ToolTimeout, ct).ConfigureAwait(false), "dpkg-deb -x");
        string tarball = Directory.EnumerateFiles(Path.Combine(debDir, "usr", "src"), "linux-source-*.tar.xz").SingleOrDefault()
            ?? throw new SandboxException(ErrorKind.EngineFailed, $"{deb} holds no usr/src/linux-source-*.tar.xz");
        if (Environment.IsPrivilegedProcess)
        {
            KernelFetcher.Check(await ExternalCommand.RunAsync(KernelFetcher.Tool("chown"), [$"{BuildUser}:{BuildUser}", src], ToolTimeout, ct).ConfigureAwait(false), "chown");
        }

        log.WriteLine($"kernel: unpacking {Path.GetFileName(tarball)}");
        KernelFetcher.Check(await Unprivileged("tar", ["-xJf", tarball, "-C", src], ToolTimeout, ct).ConfigureAwait(false), "tar -x");
        File.Delete(tarball);
        return Directory.EnumerateDirectories(src).SingleOrDefault(d => File.Exists(Path.Combine(d, "Makefile")))
            ?? throw new SandboxException(ErrorKind.EngineFailed, $"{tarball} holds no kernel tree");
    }

    private static async Task<string> MakeAsync(string tree, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        var result = await Unprivileged("make", ["-C", tree, .. args], timeout, ct).ConfigureAwait(false);
        return KernelFetcher.Check(result, $"make {string.Join(' ', args)}").Stdout;
    }

    // nice -n 10 [setpriv --reuid --regid --clear-groups] TOOL ARGS: the build never runs as root
    // and yields the CPU to the host's own work. The build's user and host are fixed.
    private static Task<CommandOutput> Unprivileged(string tool, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        string[] drop = Environment.IsPrivilegedProcess
            ? [KernelFetcher.Tool("setpriv"), $"--reuid={BuildUser}", $"--regid={BuildUser}", "--clear-groups", "--"]
            : [];
        var env = new Dictionary<string, string>
        {
            ["KBUILD_BUILD_USER"] = "sandbox",
            ["KBUILD_BUILD_HOST"] = "sandbox",
            ["HOME"] = "/nonexistent",
        };
        return ExternalCommand.RunAsync(KernelFetcher.Tool("nice"), ["-n", "10", .. drop, KernelFetcher.Tool(tool), .. args], timeout, ct, env);
    }
}
