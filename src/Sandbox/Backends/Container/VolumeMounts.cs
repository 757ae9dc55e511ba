using Microsoft.Win32.SafeHandles;
using Sandbox.Host.Files;
using Sandbox.Host.Interop;
using Sandbox.Host.Mounts;
using Sandbox.Runtime;
using Sandbox.Volumes;

namespace Sandbox.Backends.Container;

/// <summary>
/// Prepares what volumes need before the runtime starts: a per-sandbox overlay root (the image's
/// ID-mapped bind below, an empty upper where the launcher itself creates the mount points, so nothing in the image
/// — not even a symlink at the target — steers where a volume lands), and one ID-mapped bind per
/// volume, so files keep the same owners whichever ID range the next sandbox gets (a policy-granted
/// host path is bound as is, see <see cref="HostBind"/>). All of it lives
/// under the run directory and is detached by <see cref="SafeRemove"/> at teardown.
/// </summary>
public static class VolumeMounts
{
    /// <summary>Where under the run directory each kind of bind is staged (the audit tells them apart by it).</summary>
    public const string VolumesDir = "volumes";

    public const string HostBindsDir = "binds";

    public static (string Rootfs, IReadOnlyList<OciMount> Mounts) Prepare(
        string runDir, string imageRootfs, IdRange ids, SafeFileHandle userns, IReadOnlyList<VolumeBind> binds)
    {
        foreach (string p in new[] { imageRootfs, runDir })
        {
            if (p.IndexOfAny([',', ':', '\\']) >= 0)
            {
                throw new SandboxException(ErrorKind.InvalidArgument, $"{p}: overlay paths cannot contain ',', ':' or '\\'",
                    "use a --root without those characters");
            }
        }

        string upper = Directory.CreateDirectory(Path.Combine(runDir, "upper")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(runDir, "work")).FullName;
        string rootfs = Directory.CreateDirectory(Path.Combine(runDir, "rootfs")).FullName;
        foreach (var bind in binds)
        {
            // Every component is created here, in a directory that was empty: no link can be followed.
            string target = Directory.CreateDirectory(upper + bind.Target).FullName;
            for (string? d = target; d is not null && d.Length > upper.Length; d = Path.GetDirectoryName(d))
            {
                FileOwner.Set(d, ids.HostStart, ids.HostStart); // root's inside, like the image directories around them
            }
        }

        FileOwner.Set(upper, ids.HostStart, ids.HostStart); // the merged "/" takes the upper's owner
        Mount.Overlay(imageRootfs, upper, work, rootfs);

        var mounts = new List<OciMount>();
        for (int i = 0; i < binds.Count; i++)
        {
            string kind = binds[i].IsHostPath ? HostBindsDir : VolumesDir;
            string staged = Directory.CreateDirectory(Path.Combine(runDir, kind, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
            if (binds[i].IsHostPath)
            {
                HostBind.Attach(binds[i].Source, staged, binds[i].ReadOnly);
            }
            else
            {
                IdMappedBind.Attach(binds[i].Source, staged, userns, binds[i].ReadOnly);
            }

            mounts.Add(new OciMount(binds[i].Target, "bind", staged,
                ["rbind", "nosuid", "nodev", binds[i].ReadOnly ? "ro" : "rw"]));
        }

        return (rootfs, mounts);
    }
}
