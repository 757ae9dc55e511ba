using Sandbox.Backends.Container;
using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Jail;

/// <summary>
/// The VMM's jail, after Firecracker's jailer, built from the container backend: QEMU runs as
/// the OCI bundle's process, so it gets every container hardening step (user, mount, pid, ipc,
/// uts, network and cgroup namespaces; root mapped to an unprivileged leased host ID; no
/// capabilities; no_new_privs; seccomp; cgroup limits) and sees a read-only root holding only:
/// /usr (QEMU, its libraries and firmware, read-only), the loader cache, /vm (kernel, initramfs,
/// root disk; read-only) and /io (its sockets and console log; the only writable directory).
/// </summary>
public static class VmmJail
{
    /// <summary>Guest RAM is not all the VMM needs: QEMU itself, TCG's code cache and I/O buffers.</summary>
    public const long OverheadBytes = 256L << 20;

    public const int PidsLimit = 64;

    public const string VmDir = "/vm";
    public const string IoDir = "/io";

    private static readonly string[] ReadOnlyBind = ["bind", "ro", "nosuid", "nodev"];
    private static readonly string[] DataBind = ["bind", "ro", "nosuid", "nodev", "noexec"];
    private static readonly string[] WritableBind = ["bind", "rw", "nosuid", "nodev", "noexec"];

    /// <summary>Host files the VMM reads, by their path inside the jail.</summary>
    public sealed record Files(string Kernel, string Initramfs, string RootDisk);

    /// <summary>Creates the jail's root directory (mount points only) under the bundle.</summary>
    public static string PrepareRoot(string bundle)
    {
        string rootfs = Path.Combine(bundle, "jail");
        foreach (string d in new[] { "usr", "etc", "vm", "io", "proc", "dev", "sys", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        foreach (string f in new[] { "etc/ld.so.cache", "vm/vmlinuz", "vm/initramfs.cpio", "vm/rootfs.ext4" })
        {
            File.WriteAllBytes(Path.Combine(rootfs, f), []);
        }

        File.CreateSymbolicLink(Path.Combine(rootfs, "bin"), "usr/bin");
        File.CreateSymbolicLink(Path.Combine(rootfs, "lib"), "usr/lib");
        File.CreateSymbolicLink(Path.Combine(rootfs, "lib64"), "usr/lib64");
        foreach (string d in Directory.EnumerateDirectories(rootfs, "*", SearchOption.AllDirectories).Append(rootfs))
        {
            File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
        }

        return rootfs;
    }

    public static ContainerPlan Plan(
        string id, string rootfs, string ioDir, Files host, IReadOnlyList<string> qemuArgv, long guestMemoryBytes,
        double cpus, IdRange ids, OciSeccomp seccomp)
    {
        var limits = ResourceLimits.Default with
        {
            MemoryBytes = guestMemoryBytes + OverheadBytes,
            PidsLimit = PidsLimit,
            // vCPU threads plus QEMU's main (I/O) thread: held to the guest's share alone, the VMM is
            // throttled mid-boot and the guest kernel fails to calibrate its clock against the PIT.
            Cpus = Math.Min(Environment.ProcessorCount, Math.Ceiling(cpus) + 1),
        };
        return new ContainerPlan(id, rootfs, qemuArgv, ["PATH=/usr/bin"], IoDir, 0, 0, ids, "vmm", limits, seccomp)
        {
            ExtraMounts =
            [
                new OciMount("/usr", "bind", "/usr", ReadOnlyBind),
                new OciMount("/etc/ld.so.cache", "bind", "/etc/ld.so.cache", DataBind),
                new OciMount($"{VmDir}/vmlinuz", "bind", host.Kernel, DataBind),
                new OciMount($"{VmDir}/initramfs.cpio", "bind", host.Initramfs, DataBind),
                new OciMount($"{VmDir}/rootfs.ext4", "bind", host.RootDisk, DataBind),
                new OciMount(IoDir, "bind", ioDir, WritableBind),
            ],
        };
    }
}
