namespace Sandbox.Audit;

/// <summary>
/// The workload facts policy decided on, as recorded: enough to decide the run again under another
/// policy (`policy diff --audit`) without the image, the volumes or the host it ran on.
/// <see cref="HostKernel"/> is the host's kernel release at decision time (kernel: host-provides).
/// </summary>
public sealed record AuditFacts(
    string Trust,
    string Backend,
    string Image,
    string? Digest,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> Devices,
    IReadOnlyList<AuditVolumeRequest> Volumes,
    IReadOnlyList<string> Binds,
    string Network,
    long? MemoryBytes,
    double? Cpus,
    long? PidsLimit,
    string? SeccompProfile,
    string? Kernel,
    string? HostKernel,
    string? PathImage = null);

/// <summary>One -v NAME:/path[:ro] with the volume's taint at decision time.</summary>
public sealed record AuditVolumeRequest(string Name, string Target, bool ReadOnly, bool WrittenByUntrusted);
