namespace Sandbox.Host.Probes;

/// <summary>
/// One OCI runtime (runc or crun): where it is, what version it reports, and the known image-triggered CVEs
/// assessed against that version. <see cref="Ok"/> means it is installed and answered --version.
/// </summary>
public sealed record OciRuntimeResult(
    string Name,
    bool Ok,
    string Detail,
    string? Remedy,
    string? Path,
    string? Version,
    bool DebianPackage,
    IReadOnlyList<CveFinding> Cves);
