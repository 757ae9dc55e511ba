using Sandbox.Audit;
using Sandbox.Runtime;

namespace Sandbox.Lifecycle.Copy;

/// <summary>cp for a detached microVM: through its supervisor, which asks guest init.</summary>
internal static class MicroVmCopyClient
{
    public static Task<AuditCopy> IntoAsync(string control, string given, string path, CopyEndpoint source, Stream stdin) =>
        throw new SandboxException(ErrorKind.HostUnsupported, $"cp into the microVM sandbox {given} is not available yet");

    public static Task<AuditCopy> OutAsync(string control, string given, string path, CopyEndpoint destination, Stream stdout) =>
        throw new SandboxException(ErrorKind.HostUnsupported, $"cp out of the microVM sandbox {given} is not available yet");
}
