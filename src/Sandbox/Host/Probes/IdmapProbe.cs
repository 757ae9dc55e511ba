using Sandbox.Host.Mounts;
using Sandbox.Runtime;

namespace Sandbox.Host.Probes;

/// <summary>
/// Every container sees its image, and every sandbox its volumes, through ID-mapped mounts on the
/// state root's file system. This takes a lease like a run does, opens (or pins) that slot's user
/// namespace and lets <see cref="UserNamespaceHandle"/> verify it by ID-mapping a reference
/// directory: the same path a run takes, so a "yes" here means runs can mount.
/// </summary>
public static class IdmapProbe
{
    public static IdmapResult Run(StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        try
        {
            using var lease = IdLease.Acquire("sandbox doctor: ID-mapped mount check"); // not a run record: reapers ignore it
            using var userns = UserNamespaceHandle.ForSlot(lease.Slot, lease.Range, root.HostCache);
            return new(true, $"verified under {root.Path}: owners 0-65535 map to a sandbox's host IDs, 65536 does not", null);
        }
        catch (SandboxException e)
        {
            return new(false, e.Message, e.Hint ?? "see `sandbox doctor` on a file system with ID-mapped mounts");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(false, $"cannot check ({e.Message})", "run sandbox doctor as root");
        }
    }
}
