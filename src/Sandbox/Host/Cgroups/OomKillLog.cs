using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandbox.Host.Cgroups;

/// <summary>
/// Tells whether the kernel's OOM killer killed a process of one container's cgroup while it ran.
/// The runtime removes the container's cgroup as the workload exits, and cgroup v1 counts OOM kills
/// only in that cgroup (memory.oom_control reads the local count), so the counter is gone when the
/// launcher could read it. The kernel's own log line outlives the cgroup and names it
/// ("oom-kill:...,oom_memcg=/sandbox/sb-...,task_memcg=...,task=...,pid=..."): the log is opened at
/// its end before the workload starts, and only what was logged after that is read.
/// Best effort: a host where /dev/kmsg cannot be read (not root, a launcher inside a container)
/// reports nothing, as before.
/// </summary>
public sealed unsafe class OomKillLog : IDisposable
{
    private readonly SafeFileHandle _log;

    private OomKillLog(SafeFileHandle log) => _log = log;

    /// <summary>Opens the kernel log positioned after its last record; null when it cannot be read.</summary>
    public static OomKillLog? OpenAtEnd()
    {
        int fd;
        // SAFETY: a NUL-terminated literal, pinned for the call.
        fixed (byte* path = "/dev/kmsg\0"u8)
        {
            fd = LibC.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        }

        if (fd < 0)
        {
            return null;
        }

        var log = new SafeFileHandle(fd, ownsHandle: true);
        if (LibC.lseek(fd, 0, LibC.SEEK_END) < 0)
        {
            log.Dispose();
            return null;
        }

        return new OomKillLog(log);
    }

    /// <summary>
    /// Whether a record logged since <see cref="OpenAtEnd"/> says the OOM killer killed a task of the
    /// cgroup named <paramref name="cgroupName"/> (or of one below it). Reads at most
    /// <paramref name="maxRecords"/> records, so a host flooding its log cannot hold the launcher.
    /// </summary>
    public bool KilledIn(string cgroupName, int maxRecords = 100_000)
    {
        byte[] buffer = new byte[8192]; // a /dev/kmsg read returns one whole record, at most 1 KiB of text plus its dictionary
        bool killed = false;
        for (int i = 0; i < maxRecords; i++)
        {
            long n;
            // SAFETY: the buffer is pinned and its length passed.
            fixed (byte* b = buffer)
            {
                n = LibC.read((int)_log.DangerousGetHandle(), b, buffer.Length);
            }

            if (n < 0 && LibC.errno == LibC.EPIPE)
            {
                continue; // older records were overwritten while we read: go on with the oldest left
            }

            if (n <= 0)
            {
                break; // EAGAIN: nothing more was logged
            }

            killed |= IsOomKillIn(Encoding.UTF8.GetString(buffer, 0, (int)n), cgroupName);
        }

        return killed;
    }

    /// <summary>
    /// Whether one /dev/kmsg record ("PREFIX,SEQ,USEC,FLAGS;MESSAGE\n" then dictionary lines) is the
    /// kernel's OOM-kill line for the cgroup named <paramref name="cgroupName"/> or one below it. Only
    /// the kernel's facility (0) counts: whatever userspace writes to /dev/kmsg is logged under
    /// another, so no process can forge the line.
    /// </summary>
    public static bool IsOomKillIn(string record, string cgroupName)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrEmpty(cgroupName);
        int semicolon = record.IndexOf(';', StringComparison.Ordinal);
        if (semicolon < 0 || !int.TryParse(record.AsSpan(0, Math.Max(0, record.IndexOf(',', StringComparison.Ordinal))), out int prefix) || prefix >> 3 != 0)
        {
            return false;
        }

        string message = record[(semicolon + 1)..].Split('\n')[0];
        if (!message.StartsWith("oom-kill:", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (string field in message["oom-kill:".Length..].Split(','))
        {
            if ((field.StartsWith("oom_memcg=", StringComparison.Ordinal) || field.StartsWith("task_memcg=", StringComparison.Ordinal))
                && field[(field.IndexOf('=', StringComparison.Ordinal) + 1)..].Split('/').Contains(cgroupName, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose() => _log.Dispose();
}
