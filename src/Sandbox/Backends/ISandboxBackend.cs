using Sandbox.Policy;
using Sandbox.Runtime;
using Sandbox.Volumes;

namespace Sandbox.Backends;

/// <summary>
/// One isolation backend. The launcher decides (policy) and orchestrates; a backend only does, in
/// the OCI runtime spec's lifecycle: <see cref="CreateAsync"/> prepares everything and runs nothing
/// of the workload; the returned <see cref="ISandbox"/> starts, signals, reports state and deletes.
/// A new backend implements this, registers in <see cref="BackendRegistry"/>, and gets a name in the
/// policy vocabulary (<see cref="BackendKind"/>); nothing else changes.
/// </summary>
public interface ISandboxBackend
{
    BackendKind Kind { get; }

    /// <summary>Fail closed: refuses grants in <paramref name="decision"/> this backend cannot honour, before anything is read or held.</summary>
    void Admit(Decision decision);

    /// <summary>
    /// The checks that must pass before anything of this sandbox exists (tools, kernel, what the
    /// backend can carry), and host preparation shared by all its sandboxes (orphans reaped, the OCI
    /// runtime chosen). Creates nothing of <paramref name="spec"/>.
    /// </summary>
    Task PreflightAsync(WorkloadSpec spec, IReadOnlyList<VolumeSpec> volumes, CancellationToken ct);

    /// <summary>
    /// Create: the ID lease, run directory, root filesystem, mounts and rendered config, and the I/O
    /// attach points bound to <paramref name="io"/>; nothing of the workload runs yet. What it
    /// created is removed by <see cref="ISandbox.DeleteAsync"/>, or here if creation fails.
    /// </summary>
    Task<ISandbox> CreateAsync(WorkloadSpec spec, WorkloadIo io, CancellationToken ct);
}
