using Sandbox.Host.Probes;
using Sandbox.Tests.Support;

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

    private static readonly DebianChangelog Bookworm = DebianChangelog.Parse(
        "runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n\n  * Team upload.\n  * CVE-2024-21626: several container breakouts due to internally leaked fds\n\n"
        + " -- A Maintainer <a@example.org>  Fri, 02 Feb 2024 21:53:05 +0800\n\nrunc (1.1.5+ds1-1) unstable; urgency=medium\n\n"
        + "    + CVE-2023-27561: Incorrect Authorization vulnerability\n")!;

    [Fact]
    public void Reads_the_revision_and_every_cve_of_a_debian_changelog()
    {
        Assert.Equal("runc", Bookworm.Package);
        Assert.Equal("1.1.5+ds1-1+deb12u1", Bookworm.Revision);
        Assert.Equal(["CVE-2023-27561", "CVE-2024-21626"], Bookworm.Cves.Order(StringComparer.Ordinal));
        Assert.Null(DebianChangelog.Parse("not a changelog"));
    }

    [Fact]
    public void A_cve_the_debian_changelog_names_is_fixed_by_its_backport()
    {
        CveFinding f = CveAssessor.Assess(RuntimeCveTable.For("runc").Single(c => c.Id == "CVE-2024-21626"), RuntimeVersion.Parse("1.1.5+ds1"), true, Bookworm);
        Assert.Equal(CveStatus.Fixed, f.Status);
        Assert.Equal("Debian 1.1.5+ds1-1+deb12u1 backports the fix (its changelog names CVE-2024-21626)", f.Assessment);
    }

    [Fact]
    public void A_cve_the_debian_changelog_does_not_name_is_treated_as_vulnerable()
    {
        CveFinding f = CveAssessor.Assess(RuntimeCveTable.For("runc").Single(c => c.Id == "CVE-2025-31133"), RuntimeVersion.Parse("1.1.5+ds1"), true, Bookworm);
        Assert.Equal(CveStatus.PredatesFix, f.Status);
        Assert.Equal("version predates upstream fix (1.2.8, 1.3.3, 1.4.0); Debian 1.1.5+ds1-1+deb12u1's changelog does not name it: treat as vulnerable", f.Assessment);
    }

    [Fact]
    public void This_hosts_runc_changelog_is_read_when_installed()
    {
        Require.That(File.Exists(DebianChangelog.PathFor("runc")), "runc's Debian changelog is not installed");
        DebianChangelog? c = DebianChangelog.Read("runc");
        Assert.NotNull(c);
        Assert.Equal("runc", c.Package);
        Assert.Contains(c.Cves, id => id.StartsWith("CVE-", StringComparison.Ordinal));
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
