using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Initramfs;

/// <summary>One file the initramfs carries at <paramref name="GuestPath"/> (relative, no leading slash).</summary>
public sealed record GuestFile(string GuestPath, byte[] Content);

/// <summary>
/// The OCI runtime that applies the workload's hardening inside the guest: the host's own crun
/// (Debian's package, the same engine the container backend prefers) with every shared library it
/// loads, found by walking DT_NEEDED from the binary. One hardening, two kernels: the guest runs the
/// same config.json shape as a container.
/// </summary>
public static class GuestRuntime
{
    /// <summary>Where the runtime binary is read on the host and placed in the guest.</summary>
    public const string Crun = "/usr/bin/crun";

    private static readonly string[] LibraryDirs = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"];

    /// <summary>crun and its libraries, as the guest will see them.</summary>
    public static IReadOnlyList<GuestFile> Files(string crun = Crun)
    {
        if (!File.Exists(crun))
        {
            throw new SandboxException(ErrorKind.HostUnsupported,
                $"the microVM's guest applies the workload's hardening with {crun}, which is missing",
                "apt-get install crun (or run make deps)");
        }

        var files = new List<GuestFile> { new(crun.TrimStart('/'), File.ReadAllBytes(crun)) };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<(string Name, byte[] Elf, string What)>();
        pending.Enqueue((crun, files[0].Content, crun));
        while (pending.TryDequeue(out var next))
        {
            ElfLinkage linkage = ElfDependencies.Read(next.Elf, next.What);
            if (linkage.Interpreter is { } interp && seen.Add(interp))
            {
                files.Add(new GuestFile(interp.TrimStart('/'), File.ReadAllBytes(interp))); // the loader's own path is fixed in every binary
            }

            foreach (string soname in linkage.Needed.Where(seen.Add))
            {
                string host = LibraryDirs.Select(d => Path.Combine(d, soname)).FirstOrDefault(File.Exists)
                    ?? throw new SandboxException(ErrorKind.HostUnsupported,
                        $"{crun} needs {soname}, which is not in {string.Join(" or ", LibraryDirs)}", "reinstall crun: apt-get install --reinstall crun");
                byte[] content = File.ReadAllBytes(host); // follows the soname link to the real library
                files.Add(new GuestFile($"lib/x86_64-linux-gnu/{soname}", content));
                pending.Enqueue((soname, content, host));
            }
        }

        return files;
    }
}
