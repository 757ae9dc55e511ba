using Sandbox.Policy;
using Sandbox.Runtime;

namespace Sandbox.Backends;

/// <summary>The backends this build has, by the policy's name for them: the one place a new backend is added.</summary>
public sealed class BackendRegistry(IEnumerable<ISandboxBackend> backends)
{
    private readonly Dictionary<BackendKind, ISandboxBackend> _byKind = backends.ToDictionary(b => b.Kind);

    /// <summary>The backend for a decision; a decision naming one this build lacks is refused, never run elsewhere.</summary>
    public ISandboxBackend For(BackendKind kind) =>
        _byKind.TryGetValue(kind, out var backend)
            ? backend
            : throw new SandboxException(ErrorKind.Refused, $"refused: the policy decided the {PolicyNames.Backend(kind)} backend, which this build does not have");
}
