using System.Globalization;
using System.Text.Json;

using Sandbox.Policy;

namespace Sandbox.Backends.Container;

/// <summary>
/// Renders the hardened OCI config.json for a plan. Pure: same plan, same bytes; snapshot-tested.
/// Each hardening choice is spelled out here, with the reason beside it.
/// </summary>
public static class OciSpecBuilder
{
    /// <summary>The cgroup parent every sandbox lives under, so leftovers are easy to find and reap.</summary>
    public const string CgroupParent = "/sandbox";

    // Docker's masked paths plus a few more kernel-information leaks; masked = /dev/null or empty tmpfs.
    private static readonly string[] MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
        "/sys/devices/virtual/powercap", "/sys/firmware", "/sys/kernel/debug", "/sys/kernel/security",
    ];

    // Docker's read-only paths: kernel tunables stay visible but cannot be written.
    private static readonly string[] ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    // Every namespace the kernel offers except time: the sandbox shares nothing with the host.
    private static readonly string[] Namespaces = ["user", "mount", "pid", "ipc", "uts", "network", "cgroup"];

    public static OciSpec Build(ContainerPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var limits = plan.Limits;
        // JSON holds only Unicode: bytes that are not UTF-8 go through the exec shim, hex-encoded.
        bool shim = Exec.ExecShim.Needed(plan.Args, plan.Env);
        var (args, env) = shim ? Exec.ExecShim.Wrap(plan.Args, plan.Env) : (plan.Args, plan.Env);
        OciMount[] shimMount = shim
            ? [Exec.ExecShim.Mount(plan.ExecShimSource ?? throw new InvalidOperationException("the plan needs the exec shim but names no source for it"))]
            : [];
        // --init: sandbox-init is PID 1 and runs the workload (or the shim) as its child.
        args = plan.InitSource is null ? args : Init.SandboxInit.Wrap(args);
        OciMount[] initMount = plan.InitSource is { } init ? [Init.SandboxInit.Mount(init)] : [];
        return new OciSpec(
            OciVersion: "1.0.2",
            Process: new OciProcess(
                // Never the host's terminal (TIOCSTI injection): with -t the runtime makes a new pty in
                // the sandbox's own devpts and copies between it and the launcher's terminal.
                Terminal: plan.Terminal is not null,
                User: new OciUser(plan.Uid, plan.Gid, [plan.Gid]),
                Args: args,
                Env: env,
                Cwd: plan.WorkingDir,
                Capabilities: new OciCapabilities([], [], [], [], []),
                Rlimits:
                [
                    new OciRlimit("RLIMIT_NOFILE", limits.OpenFiles, limits.OpenFiles),
                    // Each sandbox has its own host UIDs, so NPROC is a per-sandbox second fence behind pids.max.
                    new OciRlimit("RLIMIT_NPROC", (ulong)limits.PidsLimit, (ulong)limits.PidsLimit),
                    new OciRlimit("RLIMIT_CORE", 0, 0),
                ],
                NoNewPrivileges: true,
                OomScoreAdj: 500) // under memory pressure the host kills the sandbox before its own services
            {
                ConsoleSize = plan.Terminal is { } t ? new OciConsoleSize(t.Rows, t.Columns) : null,
            },
            Root: new OciRoot(plan.RootfsPath, Readonly: true),
            Hostname: plan.Hostname,
            Mounts: [.. Mounts(limits), .. plan.ExtraMounts, .. shimMount, .. initMount],
            Linux: new OciLinux(
                UidMappings: [new OciIdMapping(0, plan.Ids.HostStart, plan.Ids.Size)],
                GidMappings: [new OciIdMapping(0, plan.Ids.HostStart, plan.Ids.Size)],
                Namespaces: [.. Namespaces.Select(t => new OciNamespace(t))],
                CgroupsPath: $"{CgroupParent}/{plan.Id}",
                Resources: new OciResources(
                    // The runtime re-allows only its default safe set, plus the plan's explicit rules.
                    Devices: [new OciDeviceRule(Allow: false, Access: "rwm"), .. plan.AllowedDevices],
                    Memory: new OciMemory(limits.MemoryBytes, limits.MemoryBytes), // swap == limit: no swap
                    Cpu: new OciCpu(100_000, (long)Math.Round(limits.Cpus * 100_000)),
                    Pids: new OciPids(limits.PidsLimit)),
                Seccomp: plan.Seccomp,
                MaskedPaths: MaskedPaths,
                ReadonlyPaths: ReadonlyPaths));
    }

    public static string ToJson(OciSpec spec) => JsonSerializer.Serialize(spec, OciJsonContext.Default.OciSpec);

    public static byte[] ToUtf8Json(OciSpec spec) => JsonSerializer.SerializeToUtf8Bytes(spec, OciJsonContext.Default.OciSpec);

    // Fresh /proc, /dev and /sys, never the image's: image-supplied /dev symlinks are what the
    // 2025-2026 runc CVEs abuse. /dev holds only what the runtime's default device list creates.
    private static OciMount[] Mounts(ResourceLimits limits) =>
    [
        new("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        new("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        new("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        new("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        new("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
        new("/tmp", "tmpfs", "tmpfs",
            ["nosuid", "nodev", "mode=1777", string.Create(CultureInfo.InvariantCulture, $"size={limits.TmpfsBytes}")]),
    ];
}
