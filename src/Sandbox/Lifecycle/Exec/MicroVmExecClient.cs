using Sandbox.Backends;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Exec;

/// <summary>exec in a detached microVM: asks its supervisor, which owns the VM's control channel.</summary>
public static class MicroVmExecClient
{
    public static Task<int> RunAsync(string controlSocket, ExecRequest request, string given) =>
        throw new SandboxException(ErrorKind.HostUnsupported, $"exec in the microVM sandbox {given} is not available yet");
}
