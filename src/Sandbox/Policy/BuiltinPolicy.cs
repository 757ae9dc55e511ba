using Sandbox.Runtime;

namespace Sandbox.Policy;

/// <summary>
/// The built-in decision table until YAML policies arrive: trusted workloads get the hardened
/// container; untrusted ones need the microVM backend, which is not available yet, so they are
/// refused (fail closed, never a silent downgrade to a container).
/// </summary>
public static class BuiltinPolicy
{
    public static Decision Decide(TrustLevel trust, BackendKind requested, string seccompProfile, ResourceLimits limits)
    {
        if (requested == BackendKind.MicroVm || trust == TrustLevel.Untrusted)
        {
            string why = requested == BackendKind.MicroVm
                ? "--backend microvm was requested"
                : "untrusted workloads run in a microVM (the default trust is untrusted)";
            throw new SandboxException(ErrorKind.Refused,
                $"refused: {why}, and the microVM backend is not available yet",
                trust == TrustLevel.Untrusted
                    ? "if you trust this workload, run it with --trust trusted to use the hardened container"
                    : "use --backend container (or auto)");
        }

        return new Decision(BackendKind.Container, seccompProfile, limits,
            "trust=trusted maps to the hardened container");
    }
}
