using Sandbox.Backends.Container;
using Sandbox.Host.Files;
using Sandbox.Host.Interop;
using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Jail;

/// <summary>
/// The VMM's jail, after Firecracker's jailer, built from the container backend: QEMU runs as
/// the OCI bundle's process, so it gets every container hardening step (user, mount, pid, ipc,
/// uts, network and cgroup namespaces; root mapped to an unprivileged leased host ID; no
/// capabilities; no_new_privs; seccomp; cgroup limits) and sees a read-only root holding only:
/// /usr (QEMU, its libraries and firmware, read-only), the loader cache, /vm (kernel, initramfs,
/// root disk; read-only) and /io (its sockets; the only writable directory).
/// Under KVM also /dev/kvm: a node of its own, see <see cref="CreateKvmNode"/>. Named volumes are
/// /volumes/N: ID-mapped binds (read-only when the volume is), exported to the guest over 9p.
/// </summary>
public static class VmmJail
{
    /// <summary>Guest RAM is not all the VMM needs: QEMU itself, TCG's code cache and I/O buffers.</summary>
    public const long OverheadBytes = 256L << 20;

    public const int PidsLimit = 64;

    public const string VmDir = "/vm";
    public const string IoDir = "/io";
    public const string VolumesDir = "/volumes";

    private static readonly string[] ReadOnlyBind = ["bind", "ro", "nosuid", "nodev"];
    private static readonly string[] DataBind = ["bind", "ro", "nosuid", "nodev", "noexec"];
    private static readonly string[] WritableBind = ["bind", "rw", "nosuid", "nodev", "noexec"];

    // The one bind without nodev: the device node is the point of this mount.
    private static readonly string[] DeviceBind = ["bind", "rw", "nosuid", "noexec"];

    /// <summary>The KVM device: misc major 10, KVM_MINOR 232, fixed by the kernel.</summary>
    public const uint KvmMajor = 10;

    public const uint KvmMinor = 232;

    public const string KvmDevice = "/dev/kvm";

    /// <summary>Host files the VMM reads, by their path inside the jail.</summary>
    public sealed record Files(string Kernel, string Initramfs, string RootDisk);

    /// <summary>A volume's (ID-mapped) host directory, bound at <see cref="VolumePath"/>(index) in the jail.</summary>
    public sealed record Volume(string HostPath, bool ReadOnly);

    public static string VolumePath(int index) => $"{VolumesDir}/{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static readonly string[] RootDirectories = ["usr", "etc", "vm", "io", "proc", "dev", "sys", "tmp"];

    /// <summary>Creates the jail's root directory (mount points only) under the bundle.</summary>
    public static string PrepareRoot(string bundle, int volumes = 0)
    {
        string rootfs = Path.Combine(bundle, "jail");
        foreach (string d in RootDirectories.Concat(Enumerable.Range(0, volumes).Select(i => VolumePath(i)[1..])))
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
        foreach (string d in Host.Files.TreeWalk.Below(rootfs).Where(e => e.IsDirectory).Select(e => e.Path).Append(rootfs))
        {
            File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
        }

        return rootfs;
    }

    /// <summary>
    /// The jail's own /dev/kvm, as Firecracker's jailer does it: a fresh c 10:232 node in the bundle,
    /// owned by the jail's root host ID alone, mode 0600, bind-mounted to /dev/kvm. The host node
    /// is usually 0660 root:kvm (or 0600 root:root), out of reach of the jail's IDs, and granting
    /// the jail a host group would grant every file of that group; this node grants one device to
    /// one leased ID and is deleted with the bundle. The node sits on the host's file system (not
    /// the jail's tmpfs /dev, where a user namespace makes device nodes unusable), so the state
    /// root must not be mounted nodev.
    /// </summary>
    public static string CreateKvmNode(string bundle, uint jailRoot)
    {
        if (!File.Exists(KvmDevice))
        {
            throw new SandboxException(ErrorKind.HostUnsupported,
                $"the microVM was to run under KVM, but this host has no {KvmDevice}",
                "load the kvm module (modprobe kvm_intel or kvm_amd), or unset SANDBOX_ACCELERATOR");
        }

        string node = Path.Combine(bundle, "kvm");
        DeviceNode.CreateCharacter(node, KvmMajor, KvmMinor, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        FileOwner.Set(node, jailRoot, jailRoot);
        return node;
    }

    /// <param name="kvmNode">The jail's KVM node (<see cref="CreateKvmNode"/>) under KVM; null under TCG, which gets no device.</param>
    public static ContainerPlan Plan(
        string id, string rootfs, string ioDir, Files host, IReadOnlyList<string> qemuArgv, long guestMemoryBytes,
        double cpus, IdRange ids, OciSeccomp seccomp, string? kvmNode = null, IReadOnlyList<Volume>? volumes = null)
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
                .. (volumes ?? []).Select((v, i) => new OciMount(VolumePath(i), "bind", v.HostPath, v.ReadOnly ? DataBind : WritableBind)),
                .. kvmNode is null ? Array.Empty<OciMount>() : [new OciMount(KvmDevice, "bind", kvmNode, DeviceBind)],
            ],
            // Read and write, not mknod: the device cgroup admits this one device and nothing else.
            AllowedDevices = kvmNode is null ? [] : [new OciDeviceRule(Allow: true, "c", KvmMajor, KvmMinor, "rw")],
        };
    }
}
