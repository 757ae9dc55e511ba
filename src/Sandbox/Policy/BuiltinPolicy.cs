using Sandbox.Runtime;

namespace Sandbox.Policy;

/// <summary>
/// The built-in decision table until YAML policies arrive: untrusted workloads (the default) and
/// explicit --backend microvm get the microVM; trusted workloads get the hardened container.
/// Asking for weaker isolation than the trust level needs is refused (fail closed), never granted.
/// </summary>
public static class BuiltinPolicy
{
    public static Decision Decide(TrustLevel trust, BackendKind requested, string seccompProfile, ResourceLimits limits)
    {
        if (requested == BackendKind.MicroVm)
        {
            return new Decision(BackendKind.MicroVm, seccompProfile, limits, "--backend microvm was requested");
        }

        if (trust == TrustLevel.Untrusted)
        {
            if (requested == BackendKind.Container)
            {
                throw new SandboxException(ErrorKind.Refused,
                    "refused: untrusted workloads run in a microVM (the default trust is untrusted), and --backend container was requested",
                    "if you trust this workload, run it with --trust trusted to use the hardened container");
            }

            return new Decision(BackendKind.MicroVm, seccompProfile, limits,
                "untrusted workloads run in a microVM (the default trust is untrusted)");
        }

        return new Decision(BackendKind.Container, seccompProfile, limits,
            "trust=trusted maps to the hardened container");
    }
}
