using System.Globalization;
using System.Text;

namespace Sandbox.Backends.MicroVm.Guest;

/// <summary>A virtio-9p share the guest init mounts and crun binds at Target in the workload's root (ro: nosuid,nodev,ro).</summary>
public sealed record GuestMount(string Tag, string Target, bool ReadOnly);

/// <summary>
/// The run spec the host sends on the control port: a header line "spec LENGTH STDIN VOLUMES" (STDIN: 0
/// none, 1 the stdin port, 2 the virtio console for -t), one
/// line "volume TAG ro|rw TARGET" per volume (init makes TARGET's mount point in its overlay's empty
/// upper layer and only ever uses it quoted), then LENGTH bytes of the workload's OCI config.json
/// (<see cref="GuestOciSpec"/>), which init hands crun as a file and never interprets.
/// </summary>
public static class GuestSpec
{
    /// <param name="stdin">Whether the host feeds stdin; with <paramref name="terminal"/> it arrives on the virtio console /dev/hvc0 (STDIN 2).</param>
    /// <param name="analyze">sandbox analyze: the header ends in "analyze", and init traces the workload and sends a report.</param>
    /// <param name="sinkhole">analyze --network sinkhole: the header ends in "analyze sinkhole", and init starts the sinkhole helper first.</param>
    public static byte[] Message(byte[] config, bool stdin, IReadOnlyList<GuestMount>? mounts = null, bool terminal = false, bool analyze = false, bool sinkhole = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        mounts ??= [];
        int stdinMode = !stdin ? 0 : terminal ? 2 : 1;
        var head = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"spec {config.Length} {stdinMode} {mounts.Count}{(analyze ? " analyze" : "")}{(analyze && sinkhole ? " sinkhole" : "")}\n"));
        foreach (var m in mounts)
        {
            if (!m.Target.StartsWith('/') || m.Target.Any(char.IsControl) || m.Tag.Length == 0 || m.Tag.Any(c => !char.IsAsciiLetterOrDigit(c)))
            {
                throw new ArgumentException($"not a safe guest mount: {m}", nameof(mounts)); // VolumeSpec refuses these earlier
            }

            head.Append(CultureInfo.InvariantCulture, $"volume {m.Tag} {(m.ReadOnly ? "ro" : "rw")} {m.Target}\n");
        }

        return [.. Encoding.UTF8.GetBytes(head.ToString()), .. config];
    }
}
