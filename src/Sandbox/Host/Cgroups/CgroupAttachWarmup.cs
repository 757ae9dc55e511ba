using System.Globalization;
using Sandbox.Host.Files;

namespace Sandbox.Host.Cgroups;

/// <summary>
/// Gets a kernel grace period out of the way of the OCI runtime. Moving a process into a cgroup
/// (runc writing the container's PID to cgroup.procs, for a container and for a microVM's jailed
/// QEMU alike) takes the kernel's cgroup_threadgroup_rwsem for writing, and the first writer of that
/// percpu rwsem waits for a whole RCU grace period: 12-24 ms of every container start on the 2-core
/// hosts this was measured on, with every CPU idle. A writer that comes while a grace period is
/// already under way waits only for the rest of it. So a run starts, on a thread of its own, a
/// move of the launcher into the cgroup it is already in (checked in its cgroup.procs first):
/// nothing moves, and the grace period passes while the launcher decides and renders and the
/// runtime starts.
/// Best effort: a host where the write is refused (no cgroup2 mount, not root, read-only cgroupfs)
/// runs as before. docs/benchmarks.md has the measurements.
/// </summary>
public static class CgroupAttachWarmup
{
    private static readonly string[] Cgroup2Mounts = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]; // unified host, then hybrid

    /// <summary>
    /// Starts the no-op move and returns at once. The task ends when the write returned, with whether
    /// the kernel took it (a run never waits for it).
    /// </summary>
    public static Task<bool> Start()
    {
        string? procs = ProcsFile(ProcFiles.ReadText("/proc/self/cgroup"), IsCgroup2);
        if (procs is null)
        {
            return Task.FromResult(false);
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var thread = new Thread(() =>
        {
            bool written = false;
            try
            {
                // Only into the group that lists this process already: under a cgroup namespace whose
                // paths the mount does not share, the path could name another group, and this must
                // never move anything.
                if (Lists(File.ReadAllText(procs), pid))
                {
                    File.WriteAllText(procs, pid);
                    written = true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // refused: the runtime pays the grace period itself, as it would without this
            }
            finally
            {
                done.SetResult(written);
            }
        })
        { IsBackground = true, Name = "sandbox-cgroup-warmup" };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// The cgroup.procs of this process's own cgroup2 group (the "0::" line of /proc/self/cgroup) under
    /// the cgroup2 mount: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one.
    /// Null when there is none (a v1-only host) or the line is not a plain absolute path. Pure.
    /// </summary>
    public static string? ProcsFile(string? procSelfCgroup, Func<string, bool> isCgroup2Mount)
    {
        ArgumentNullException.ThrowIfNull(isCgroup2Mount);
        string? path = procSelfCgroup?.Split('\n').FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        if (path is null || !path.StartsWith('/') || path.Contains("/..", StringComparison.Ordinal) || path.EndsWith(" (deleted)", StringComparison.Ordinal))
        {
            return null;
        }

        string? mount = Cgroup2Mounts.FirstOrDefault(isCgroup2Mount);
        return mount is null ? null : mount + path.TrimEnd('/') + "/cgroup.procs";
    }

    /// <summary>Whether a cgroup.procs listing (one PID a line) holds <paramref name="pid"/>. Pure.</summary>
    public static bool Lists(string procs, string pid)
    {
        ArgumentNullException.ThrowIfNull(procs);
        return procs.Split('\n').Contains(pid, StringComparer.Ordinal);
    }

    // A cgroup2 mount has cgroup.controllers at its root; a v1 hierarchy or a tmpfs does not.
    private static bool IsCgroup2(string mount) => File.Exists(Path.Combine(mount, "cgroup.controllers"));
}
