using System.Security.Cryptography;
using System.Text;
using Sandbox.Backends.MicroVm.Kernels;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Initramfs;

/// <summary>
/// The guest's initramfs: busybox-static with the applets init uses, the guest init script
/// (kernels/init.sh), the kernel's modules and /etc/modules giving their load order, the OCI
/// runtime (crun and its libraries) that starts the workload hardened, the exec shim, sandbox-init and the sinkhole helper. Cached under the state root
/// by a digest of everything that goes in, so it is built once per kernel/busybox/init/runtime.
/// </summary>
public static class InitramfsBuilder
{
    public const string BusyboxPath = "/bin/busybox";

    private const string FormatVersion = "sandbox-initramfs-2";

    /// <summary>The identity-keyed digest cache beside the archives.</summary>
    public const string FactsFile = "file-facts";

    // Exactly the applets kernels/init.sh calls (its shell builtins need no link).
    private static readonly string[] Applets =
        ["sh", "mount", "umount", "insmod", "cat", "usleep", "mkdir", "rm", "head", "chroot", "reboot", "mkfifo", "tee",
            "wc", "sha256sum", "tr", "grep", "stty", "tar", "dmesg"];

    public static string InitScript { get; } = ReadResource("kernels.init.sh");

    /// <summary>The exec shim crun binds into the workload's /dev when argv or env is not UTF-8 (Backends/Exec).</summary>
    public static GuestFile ExecShimFile => new(Exec.ExecShim.GuestPath.TrimStart('/'), Exec.ExecShim.Binary);

    /// <summary>The fake network of analyze --network sinkhole, which init starts outside the sample's reach (Analysis/Sinkhole).</summary>
    public static GuestFile SinkholeFile => new(Analysis.Sinkhole.Sinkhole.GuestPath.TrimStart('/'), Analysis.Sinkhole.Sinkhole.Binary);

    /// <summary>sandbox-init, which crun binds into the workload's /dev as PID 1 with --init (Backends/Init).</summary>
    public static GuestFile SandboxInitFile => new(Init.SandboxInit.GuestPath.TrimStart('/'), Init.SandboxInit.Binary);

    /// <summary>Guest init's identity helper (sandbox-identity.c): fresh entropy, CRNG reseed and clock for every run.</summary>
    public static GuestFile IdentityHelperFile => new("bin/sandbox-identity", IdentityHelper.Value);

    private static readonly Lazy<byte[]> IdentityHelper = EmbeddedBinary.Named("sandbox-identity");

    /// <summary>
    /// The cached archive for this kernel, built if missing. The key needs the digests of busybox,
    /// crun and its libraries: they come from a per-file identity cache (vm/initramfs/file-facts),
    /// so a run with a built archive stats those files instead of reading them. The exec shim is
    /// embedded in this program and keyed by its digest.
    /// </summary>
    public static async Task<string> EnsureAsync(StateRoot root, FetchedKernel kernel, CancellationToken ct)
    {
        if (!File.Exists(BusyboxPath))
        {
            throw new SandboxException(ErrorKind.HostUnsupported,
                $"the microVM initramfs needs {BusyboxPath}, which is missing", "apt-get install busybox-static (or run make deps)");
        }

        var modules = kernel.Manifest.Modules.Select(m => (m.Name, Path: Path.Combine(kernel.Directory, "modules", m.Name + ".ko"))).ToList();
        string dir = root.Ensure(Path.Combine(root.Path, "vm", "initramfs"), traversable: true);
        var cache = new FileFactsCache(Path.Combine(dir, FactsFile));
        string busyboxSha = cache.Facts(BusyboxPath, elf: false).Sha256;
        var runtime = GuestRuntime.Plan(cache);
        cache.Save();
        GuestFile[] embedded = [ExecShimFile, SandboxInitFile, SinkholeFile, IdentityHelperFile];
        string final = Path.Combine(dir, Key(busyboxSha, InitScript, kernel.Manifest.Modules, runtime, embedded) + ".cpio");
        if (File.Exists(final))
        {
            return final;
        }

        byte[] busybox = GuestRuntime.ReadVerified(BusyboxPath, busyboxSha);
        GuestFile version = await GuestRuntime.VersionFileAsync(runtime[0], ct).ConfigureAwait(false); // the plan starts with crun itself
        var entries = Entries(busybox, InitScript, modules.Select(m => (m.Name, File.ReadAllBytes(m.Path))), [.. GuestRuntime.Load(runtime), version, .. embedded]);
        string temp = Path.Combine(dir, $".tmp-{Guid.NewGuid():N}");
        File.WriteAllBytes(temp, CpioWriter.ToBytes(entries));
        File.SetUnixFileMode(temp, (UnixFileMode)0b110_100_100);
        try
        {
            File.Move(temp, final, overwrite: false); // never replace a published archive: a concurrent first run may be binding it
        }
        catch (IOException) when (File.Exists(final))
        {
            File.Delete(temp); // a concurrent first run published the same archive (same key, same bytes)
        }

        return final;
    }

    /// <summary>The archive's members. Pure: the same inputs give the same list.</summary>
    public static IReadOnlyList<CpioEntry> Entries(
        byte[] busybox, string initScript, IEnumerable<(string Name, byte[] Content)> modules, IReadOnlyList<GuestFile>? runtime = null)
    {
        var list = new List<CpioEntry>
        {
            new CpioEntry.Directory("bin"),
            new CpioEntry.Directory("dev"),
            new CpioEntry.CharDevice("dev/console", 5, 1), // the kernel opens it for init's stdio before devtmpfs exists
            new CpioEntry.Directory("etc"),
            new CpioEntry.Directory("lib"),
            new CpioEntry.Directory("lib/modules"),
            new CpioEntry.Directory("proc"),
            new CpioEntry.Directory("sys"),
            // Stage 2's mount points (kernels/init.sh): the moved root, the image disk, the mount-point layer, the workload's root.
            new CpioEntry.Directory("stage"),
            new CpioEntry.Directory("run"),
            new CpioEntry.Directory("lower"),
            new CpioEntry.Directory("rw"),
            new CpioEntry.Directory("newroot"),
            new CpioEntry.File("bin/busybox", busybox, 0x1ED /* 0755 */),
            new CpioEntry.File("init", Encoding.UTF8.GetBytes(initScript), 0x1ED /* 0755 */),
        };
        list.AddRange(Applets.Select(a => new CpioEntry.Symlink($"bin/{a}", "busybox")));
        var order = new StringBuilder();
        foreach (var (name, content) in modules)
        {
            list.Add(new CpioEntry.File($"lib/modules/{name}.ko", content));
            order.Append(name).Append('\n');
        }

        list.Add(new CpioEntry.File("etc/modules", Encoding.UTF8.GetBytes(order.ToString())));
        foreach (var file in runtime ?? [])
        {
            foreach (string parent in Parents(file.GuestPath).Where(p => !list.Any(e => e.Path == p)))
            {
                list.Add(new CpioEntry.Directory(parent));
            }

            list.Add(new CpioEntry.File(file.GuestPath, file.Content, file.Mode));
        }

        return list;
    }

    // "a/b/c" -> "a", "a/b": the directories an entry needs, outermost first.
    private static IEnumerable<string> Parents(string path)
    {
        for (int i = path.IndexOf('/', StringComparison.Ordinal); i > 0; i = path.IndexOf('/', i + 1))
        {
            yield return path[..i];
        }
    }

    private static string Key(
        string busyboxSha256, string init, IEnumerable<ModuleFile> modules, IReadOnlyList<GuestFileSource> runtime, IReadOnlyList<GuestFile> embedded)
    {
        var text = new StringBuilder(FormatVersion).Append('\n')
            .Append(busyboxSha256).Append('\n')
            .Append(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(init)))).Append('\n');
        foreach (var m in modules)
        {
            text.Append(m.Name).Append(' ').Append(m.Sha256).Append('\n');
        }

        foreach (var f in runtime)
        {
            text.Append(f.GuestPath).Append(' ').Append(f.Sha256).Append('\n');
        }

        foreach (var f in embedded)
        {
            text.Append(f.GuestPath).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(f.Content))).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string ReadResource(string name)
    {
        using Stream stream = typeof(InitramfsBuilder).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
