using Sandbox.Host;
using Sandbox.Host.Probes;

namespace Sandbox.Tests.Unit.Host;

/// <summary>Fixed reports for formatter and requirement tests: one like the development host, one bare host.</summary>
internal static class HostReportSamples
{
    public static HostReport DevelopmentHost() => new(
        "6.18.0-test",
        CgroupProbe.Describe(CgroupMode.Hybrid, CgroupClassifier.TmpfsMagic, null),
        new UserNamespaceResult(true, "created one (unshare --user --map-root-user); max_user_namespaces=96365", null, 96365),
        new SeccompResult(true, "actions: kill_process kill_thread trap errno user_notif trace log allow", null, 0,
            ["kill_process", "kill_thread", "trap", "errno", "user_notif", "trace", "log", "allow"]),
        new OverlayResult(true, "listed in /proc/filesystems", null),
        new IdmapResult(true, "verified under /var/lib/sandbox: owners 0-65535 map to a sandbox's host IDs, 65536 does not", null),
        [
            Runtime("runc", "/usr/sbin/runc", "runc version 1.1.5+ds1\n"),
            Runtime("crun", "/usr/bin/crun", "crun version 1.8.1\n"),
        ],
        new KvmResult(
            KvmKind.Emulated,
            false,
            "emulated: guest loop 1432.5x slower than native (500000 iterations: guest 722.983 ms, native 0.505 ms); microVMs use QEMU TCG",
            "none needed: microVMs run under QEMU TCG; hardware KVM needs bare metal or VT-x/AMD-V passed through",
            new KvmTiming(500_000, 0.505, 722.983, true, 1432.5),
            745.7),
        new QemuResult(true, "/usr/bin/qemu-system-x86_64 7.2.22; microvm machine available", null,
            "/usr/bin/qemu-system-x86_64", "7.2.22", true),
        new GuestKernelResult(true, "debian-6.1 fetched and verified (linux-image-6.1.0-41-cloud-amd64 6.1.158-1)", null, "debian-6.1"));

    public static HostReport BareHost() => new(
        "5.10.0-test",
        CgroupProbe.Describe(CgroupMode.Unavailable, null, "statfs /sys/fs/cgroup: ENOENT (No such file or directory)"),
        UserNamespaceProbe.Evaluate(
            new CommandOutput(1, string.Empty, "unshare: unshare failed: No space left on device\n", null),
            new UserNamespaceLimits(0, null, null, true)),
        SeccompProbe.Evaluate("Name:\tsh\nSeccomp:\t0\n", "kill_process kill_thread trap errno user_notif trace log allow\n"),
        OverlayProbe.Evaluate("nodev\tsysfs\n\text4\n"),
        new IdmapResult(false, "mount_setattr idmap /srv/sandbox/host/idmap-probe: EINVAL (Invalid argument)",
            "put the state root (--root) on a file system with ID-mapped mounts: ext4, xfs, btrfs, or tmpfs from Linux 6.3"),
        [
            new OciRuntimeResult("runc", false, "not found on PATH", "apt-get install runc", null, null, false, []),
            Runtime("crun", "/usr/local/bin/crun", "crun version 1.23.1\n", debian: false),
        ],
        new KvmResult(KvmKind.Absent, false, "/dev/kvm: ENOENT (No such file or directory)",
            "optional: enable VT-x/AMD-V and modprobe kvm_intel or kvm_amd (microVMs fall back to QEMU TCG)", null, 0.2),
        new QemuResult(false, "qemu-system-x86_64 not found on PATH", "apt-get install qemu-system-x86", null, null, false),
        new GuestKernelResult(false, "debian-6.1 not fetched; untrusted runs (the default) boot a microVM and need it", "sandbox kernel fetch debian-6.1", "debian-6.1"));

    // As on Debian 12: the security update names the one CVE it backports.
    private static readonly Dictionary<string, string> Changelogs = new(StringComparer.Ordinal)
    {
        ["runc"] = "runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n\n  * CVE-2024-21626: several container breakouts due to internally leaked fds\n\n"
            + "runc (1.1.5+ds1-1) unstable; urgency=medium\n\n  * New upstream version 1.1.5+ds1\n    + CVE-2023-25809: rootless: `/sys/fs/cgroup` is writable\n",
        ["crun"] = "crun (1.8.1-1+deb12u1) bookworm; urgency=medium\n\n  * Fix a build failure\n",
    };

    private static OciRuntimeResult Runtime(string name, string path, string versionOutput, bool debian = true) =>
        OciRuntimeProbe.Evaluate(name, path, new CommandOutput(0, versionOutput, string.Empty, null), debian,
            debian ? DebianChangelog.Parse(Changelogs[name]) : null);
}
