using Sandbox.Audit;
using Sandbox.Backends.Container;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Lifecycle.Copy;

/// <summary>
/// `sandbox cp SRC NAME:/path` and `sandbox cp NAME:/path DST` on a running detached sandbox, in its
/// backend, audited with a `cp` record (direction, path, bytes and SHA-256 of the tar stream moved).
/// </summary>
public static class SandboxCopy
{
    public static async Task CopyAsync(StateRoot root, SandboxRecord sandbox, string given, CopyEndpoint source, CopyEndpoint destination, Stream stdin, Stream stdout)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        bool into = destination.Sandbox is not null;
        string path = into ? destination.Path : source.Path;
        var audit = AuditLog.For(root);
        try
        {
            AuditCopy copy;
            if (sandbox.Backend == "microvm")
            {
                copy = into
                    ? await MicroVmCopyClient.IntoAsync(new SandboxPaths(root, sandbox.Id).Control, given, path, source, stdin).ConfigureAwait(false)
                    : await MicroVmCopyClient.OutAsync(new SandboxPaths(root, sandbox.Id).Control, given, path, destination, stdout).ConfigureAwait(false);
            }
            else
            {
                var container = await RunningContainer.FindAsync(root, sandbox.Id).ConfigureAwait(false) ?? throw DetachedSandboxes.NotRunning(given);
                copy = into
                    ? await ContainerCopy.IntoAsync(container, given, path, source, stdin).ConfigureAwait(false)
                    : await ContainerCopy.OutAsync(container, given, path, destination, stdout).ConfigureAwait(false);
            }

            LifecycleAudit.RecordCopy(audit, sandbox, copy);
        }
        catch (SandboxException e)
        {
            LifecycleAudit.RecordCopy(audit, sandbox, new AuditCopy(into ? "in" : "out", path, 0, ""), e.Message);
            throw;
        }
    }
}
