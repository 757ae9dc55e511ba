namespace Sandbox.Host;

/// <summary>Pure: assesses a runtime version against <see cref="RuntimeCveTable"/>.</summary>
public static class CveAssessor
{
    /// <param name="runtime">"runc" or "crun".</param>
    /// <param name="version">The parsed version, or null if --version could not be parsed.</param>
    /// <param name="debianPackage">Whether the binary comes from a Debian package (which may carry backports).</param>
    public static IReadOnlyList<CveFinding> Assess(string runtime, RuntimeVersion? version, bool debianPackage) =>
        [.. RuntimeCveTable.For(runtime).Select(cve => Assess(cve, version, debianPackage))];

    public static CveFinding Assess(RuntimeCve cve, RuntimeVersion? version, bool debianPackage)
    {
        (CveStatus status, string assessment) = version switch
        {
            null => (CveStatus.Unknown, $"version unknown; upstream fix in {cve.FixedInText}"),
            _ when cve.IsFixedIn(version) => (CveStatus.Fixed, $"version includes upstream fix ({cve.FixedInText})"),
            _ => (CveStatus.PredatesFix, $"version predates upstream fix ({cve.FixedInText}); "
                + (debianPackage ? "Debian may have backported" : "treat as vulnerable unless the vendor backported it")),
        };
        return new CveFinding(cve.Id, status, cve.FixedInText, assessment, cve.Summary, cve.Mitigation, cve.Note);
    }
}
