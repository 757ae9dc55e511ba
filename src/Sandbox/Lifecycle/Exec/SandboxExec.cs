using Sandbox.Audit;
using Sandbox.Backends;
using Sandbox.Backends.Container;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Lifecycle.Exec;

/// <summary>
/// `sandbox exec` on a running detached sandbox, in its backend: a container through its OCI runtime's
/// `exec` (the CLI itself runs it: the runtime state is on this host), a microVM through its supervisor,
/// which owns the VM's channels and asks guest init (<see cref="MicroVmExecClient"/>). Audited either
/// way: an `exec` record with the command, the caller and the exit code.
/// </summary>
public static class SandboxExec
{
    public static async Task<int> RunAsync(StateRoot root, SandboxRecord sandbox, ExecRequest request, string given)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        var audit = AuditLog.For(root);
        int exit;
        try
        {
            exit = sandbox.Backend == "microvm"
                ? await MicroVmExecClient.RunAsync(new SandboxPaths(root, sandbox.Id).Control, request, given).ConfigureAwait(false)
                : await ContainerExec.RunAsync(await RunningContainer.FindAsync(root, sandbox.Id).ConfigureAwait(false) ?? throw DetachedSandboxes.NotRunning(given), request)
                    .ConfigureAwait(false);
        }
        catch (SandboxException e)
        {
            LifecycleAudit.RecordExec(audit, sandbox, request.Command, e.ExitCode, e.Message);
            throw;
        }

        LifecycleAudit.RecordExec(audit, sandbox, request.Command, exit);
        return exit;
    }
}
