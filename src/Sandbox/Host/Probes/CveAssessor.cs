namespace Sandbox.Host.Probes;

/// <summary>Pure: assesses a runtime version against <see cref="RuntimeCveTable"/> and, for a Debian package, its changelog.</summary>
public static class CveAssessor
{
    /// <param name="runtime">"runc" or "crun".</param>
    /// <param name="version">The parsed version, or null if --version could not be parsed.</param>
    /// <param name="debianPackage">Whether the binary comes from a Debian package (which may carry backports).</param>
    /// <param name="changelog">That package's changelog, which names the CVEs Debian fixed; null when unread.</param>
    public static IReadOnlyList<CveFinding> Assess(string runtime, RuntimeVersion? version, bool debianPackage, DebianChangelog? changelog = null) =>
        [.. RuntimeCveTable.For(runtime).Select(cve => Assess(cve, version, debianPackage, changelog))];

    public static CveFinding Assess(RuntimeCve cve, RuntimeVersion? version, bool debianPackage, DebianChangelog? changelog = null)
    {
        (CveStatus status, string assessment) = version switch
        {
            null => (CveStatus.Unknown, $"version unknown; upstream fix in {cve.FixedInText}"),
            _ when cve.IsFixedIn(version) => (CveStatus.Fixed, $"version includes upstream fix ({cve.FixedInText})"),
            _ when debianPackage && changelog is not null && changelog.Cves.Contains(cve.Id) =>
                (CveStatus.Fixed, $"Debian {changelog.Revision} backports the fix (its changelog names {cve.Id})"),
            _ => (CveStatus.PredatesFix, $"version predates upstream fix ({cve.FixedInText}); " + (debianPackage, changelog) switch
            {
                (true, { } c) => $"Debian {c.Revision}'s changelog does not name it: treat as vulnerable",
                (true, null) => "Debian package whose changelog could not be read: treat as vulnerable unless Debian backported it",
                _ => "treat as vulnerable unless the vendor backported it",
            }),
        };
        return new CveFinding(cve.Id, status, cve.FixedInText, assessment, cve.Summary, cve.Mitigation, cve.Note);
    }
}
