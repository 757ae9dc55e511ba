namespace Sandbox.Host.Probes;

/// <summary>How an installed runtime version relates to a CVE's upstream fix.</summary>
public enum CveStatus
{
    /// <summary>The version is at or past the upstream fix for its branch.</summary>
    Fixed,
    /// <summary>The version predates the upstream fix; a distribution package may still carry a backport.</summary>
    PredatesFix,
    /// <summary>The version could not be parsed.</summary>
    Unknown,
}

/// <summary>One CVE assessed against one installed runtime.</summary>
public sealed record CveFinding(
    string Id,
    CveStatus Status,
    string FixedIn,
    string Assessment,
    string Summary,
    string Mitigation,
    string? Note);
