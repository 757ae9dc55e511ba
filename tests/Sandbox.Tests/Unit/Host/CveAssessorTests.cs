using Sandbox.Host;

namespace Sandbox.Tests.Unit.Host;

public sealed class CveAssessorTests
{
    [Theory]
    [InlineData("1.1.5+ds1", CveStatus.PredatesFix)]
    [InlineData("1.2.7", CveStatus.PredatesFix)]
    [InlineData("1.2.8", CveStatus.Fixed)]
    [InlineData("1.2.9", CveStatus.Fixed)]
    [InlineData("1.3.0", CveStatus.PredatesFix)]
    [InlineData("1.3.2", CveStatus.PredatesFix)]
    [InlineData("1.3.3", CveStatus.Fixed)]
    [InlineData("1.4.0-rc.2", CveStatus.PredatesFix)]
    [InlineData("1.4.0", CveStatus.Fixed)]
    [InlineData("1.5.0", CveStatus.Fixed)]
    [InlineData("2.0.0", CveStatus.Fixed)]
    public void Runc_2025_dev_and_proc_cves_follow_the_per_branch_fixes(string version, CveStatus expected)
    {
        foreach (string id in new[] { "CVE-2025-31133", "CVE-2025-52565", "CVE-2025-52881" })
        {
            Assert.Equal(expected, Finding("runc", version, id).Status);
        }
    }

    [Theory]
    [InlineData("runc", "1.1.5+ds1", "CVE-2019-5736", CveStatus.Fixed)]
    [InlineData("runc", "1.0.0-rc93", "CVE-2019-5736", CveStatus.PredatesFix)]
    [InlineData("runc", "1.1.5+ds1", "CVE-2021-30465", CveStatus.Fixed)]
    [InlineData("runc", "1.1.5+ds1", "CVE-2024-21626", CveStatus.PredatesFix)]
    [InlineData("runc", "1.1.12", "CVE-2024-21626", CveStatus.Fixed)]
    [InlineData("runc", "1.2.9", "CVE-2026-41579", CveStatus.PredatesFix)]
    [InlineData("runc", "1.3.6", "CVE-2026-41579", CveStatus.Fixed)]
    [InlineData("runc", "1.4.2", "CVE-2026-41579", CveStatus.PredatesFix)]
    [InlineData("runc", "1.4.3", "CVE-2026-41579", CveStatus.Fixed)]
    [InlineData("crun", "1.4.3", "CVE-2022-27650", CveStatus.PredatesFix)]
    [InlineData("crun", "1.4.4", "CVE-2022-27650", CveStatus.Fixed)]
    [InlineData("crun", "1.8.1", "CVE-2025-31133", CveStatus.PredatesFix)]
    [InlineData("crun", "1.23.1", "CVE-2025-52881", CveStatus.PredatesFix)]
    [InlineData("crun", "1.24", "CVE-2025-52565", CveStatus.Fixed)]
    [InlineData("crun", "1.27.1", "CVE-2026-47766", CveStatus.PredatesFix)]
    [InlineData("crun", "1.28", "CVE-2026-47766", CveStatus.Fixed)]
    public void Assesses_each_table_entry(string runtime, string version, string id, CveStatus expected) =>
        Assert.Equal(expected, Finding(runtime, version, id).Status);

    [Fact]
    public void A_debian_package_is_never_called_vulnerable_outright()
    {
        CveFinding f = Finding("runc", "1.1.5+ds1", "CVE-2025-31133", debian: true);
        Assert.Equal("version predates upstream fix (1.2.8, 1.3.3, 1.4.0); Debian may have backported", f.Assessment);
    }

    [Fact]
    public void An_upstream_binary_that_predates_the_fix_is_treated_as_vulnerable() =>
        Assert.Contains("treat as vulnerable", Finding("runc", "1.1.5", "CVE-2024-21626").Assessment, StringComparison.Ordinal);

    [Fact]
    public void An_unparsable_version_is_unknown_for_every_cve()
    {
        IReadOnlyList<CveFinding> findings = CveAssessor.Assess("runc", null, debianPackage: false);
        Assert.NotEmpty(findings);
        Assert.All(findings, f => Assert.Equal(CveStatus.Unknown, f.Status));
    }

    [Fact]
    public void Every_entry_is_well_formed()
    {
        Assert.All(RuntimeCveTable.All, cve =>
        {
            Assert.Contains(cve.Runtime, OciRuntimeProbe.Runtimes);
            Assert.Matches(@"^CVE-\d{4}-\d{4,}$", cve.Id);
            Assert.NotEmpty(cve.FixedIn);
            Assert.False(string.IsNullOrWhiteSpace(cve.Summary));
            Assert.False(string.IsNullOrWhiteSpace(cve.Mitigation));
        });
        Assert.Equal(
            RuntimeCveTable.All.Count,
            RuntimeCveTable.All.Select(c => (c.Runtime, c.Id)).Distinct().Count());
    }

    [Fact]
    public void The_table_covers_the_cves_the_project_tracks()
    {
        string[] runc = ["CVE-2019-5736", "CVE-2021-30465", "CVE-2024-21626", "CVE-2025-31133", "CVE-2025-52565", "CVE-2025-52881"];
        string[] crun = ["CVE-2022-27650", "CVE-2025-31133", "CVE-2025-52565", "CVE-2025-52881"];
        Assert.Subset(RuntimeCveTable.For("runc").Select(c => c.Id).ToHashSet(), runc.ToHashSet());
        Assert.Subset(RuntimeCveTable.For("crun").Select(c => c.Id).ToHashSet(), crun.ToHashSet());
    }

    private static CveFinding Finding(string runtime, string version, string id, bool debian = false) =>
        CveAssessor.Assess(runtime, RuntimeVersion.Parse(version) ?? throw new ArgumentException(version), debian)
            .Single(f => f.Id == id);
}
