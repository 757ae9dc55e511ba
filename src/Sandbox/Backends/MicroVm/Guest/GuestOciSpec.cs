using Sandbox.Backends.Container;
using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>What the guest's crun needs to start the workload: the container backend's plan, minus host-side paths.</summary>
public sealed record GuestPlan(
    IReadOnlyList<string> Args, IReadOnlyList<string> Env, string WorkingDir, uint Uid, uint Gid, string Hostname,
    ResourceLimits Limits, OciSeccomp Seccomp, IReadOnlyList<GuestMount> Volumes)
{
    /// <summary>-t: crun gives the workload a pty of this size and copies between it and init's pipes.</summary>
    public Host.TerminalSize? Terminal { get; init; }

    /// <summary>--init: sandbox-init (from the initramfs) is the workload's PID 1.</summary>
    public bool Init { get; init; }

    /// <summary>sandbox analyze: the root is writable so that every change lands in init's overlay upper layer, /tmp included.</summary>
    public bool Analysis { get; init; }

    /// <summary>analyze --network sinkhole: the workload joins the sinkhole helper's network namespace instead of a new, empty one.</summary>
    public bool Sinkhole { get; init; }
}

/// <summary>
/// The config.json guest init hands crun: the container backend's own hardened spec
/// (<see cref="OciSpecBuilder"/>: no capabilities, no_new_privs, seccomp, rlimits, fresh /proc /dev
/// /sys /tmp, masked and read-only paths, every namespace, read-only root, memory/CPU/pids limits)
/// with three differences that come from where it runs. Pure: snapshot-tested.
/// </summary>
public static class GuestOciSpec
{
    /// <summary>The workload's root in the guest: the image disk under init's overlay.</summary>
    public const string Rootfs = "/newroot";

    /// <summary>Where init mounts volume shares (invisible to the workload, which sees only the binds).</summary>
    public const string VolumesDir = "/run/volumes";

    /// <summary>The workload's cgroup, below the one init reads OOM kills from.</summary>
    public const string CgroupsPath = "/sandbox/workload";

    public static OciSpec Build(GuestPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var container = OciSpecBuilder.Build(new ContainerPlan(
            "workload", Rootfs, plan.Args, plan.Env, plan.WorkingDir, plan.Uid, plan.Gid, default, plan.Hostname, plan.Limits, plan.Seccomp)
        {
            Terminal = plan.Terminal,
            ExecShimSource = Exec.ExecShim.GuestPath, // in init's root, from the initramfs
            InitSource = plan.Init ? Init.SandboxInit.GuestPath : null, // likewise
        });
        return container with
        {
            // 4. (analyze only) A writable root and no /tmp tmpfs: what the sample writes stays in the
            //    overlay's upper layer, which init reads after it exits.
            Root = plan.Analysis ? container.Root with { Readonly = false } : container.Root,
            Mounts = [.. container.Mounts.Where(m => !(plan.Analysis && m.Destination == "/tmp")), .. plan.Volumes.Select(VolumeBind)],
            Linux = container.Linux with
            {
                // 1. No user namespace: the guest kernel is the boundary and owns nothing else, and image
                //    files keep their on-disk owners. Guest root without capabilities, behind no_new_privs
                //    and seccomp, can use its own files and nothing more.
                UidMappings = [],
                GidMappings = [],
                // 6. (analyze --network sinkhole only) The network namespace is the one guest init's sinkhole
                //    helper made (only lo, every address local, every connection answered in the guest).
                Namespaces = [.. container.Linux.Namespaces.Where(n => n.Type != "user")
                    .Select(n => plan.Sinkhole && n.Type == "network" ? n with { Path = Analysis.Sinkhole.Sinkhole.NetnsPath } : n)],
                // 2. The guest's own cgroup2 tree, not the host's.
                CgroupsPath = CgroupsPath,
                // 5. (analyze only) The same filter, which also logs each refusal to the guest kernel's
                //    log, where init reads the denials for the report.
                Seccomp = plan.Analysis && container.Linux.Seccomp is { } filter ? filter with { Flags = ["SECCOMP_FILTER_FLAG_LOG"] } : container.Linux.Seccomp,
            },
            // 3. Volumes are virtio-9p shares that init mounted; the workload gets bind mounts of them.
        };
    }

    private static OciMount VolumeBind(GuestMount m) =>
        new(m.Target, "bind", $"{VolumesDir}/{m.Tag}", m.ReadOnly ? ["rbind", "nosuid", "nodev", "ro"] : ["rbind", "nosuid", "nodev", "rw"]);
}
