using System.Text.Json;
using Sandbox.Backends.Container;
using Sandbox.Profiles;
using Sandbox.Profiles.Import;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Profiles;

/// <summary>
/// Importing a Docker/OCI JSON profile keeps its meaning for a sandbox (x86-64, no capabilities):
/// the installed containers profile, imported, emitted and evaluated, answers every syscall and
/// argument vector exactly as the source does, except where the source itself is ambiguous, which
/// the importer resolves to the refusal and says so.
/// </summary>
public sealed class DockerImportTests
{
    private const string Installed = "/usr/share/containers/seccomp.json";

    private static string Source()
    {
        Require.That(File.Exists(Installed), $"{Installed} is missing (apt-get install golang-github-containers-common, pulled in by podman)");
        return File.ReadAllText(Installed);
    }

    private static SeccompEvaluator Evaluator(SeccompProfile p) =>
        new(JsonSerializer.Serialize(OciSeccompEmitter.Emit(p), OciJsonContext.Default.OciSeccomp));

    /// <summary>Argument vectors: plain ones, every socket family with and without NETLINK_AUDIT, clone flags, personas.</summary>
    private static IEnumerable<ulong[]> Vectors()
    {
        yield return [];
        yield return [1, 2, 3, 4, 5, 6];
        yield return [ulong.MaxValue, ulong.MaxValue, ulong.MaxValue];
        for (ulong family = 0; family <= 45; family++)
        {
            yield return [family, 1, 0];
            yield return [family, 3, 9]; // protocol 9: NETLINK_AUDIT when the family is AF_NETLINK (16)
        }

        foreach (ulong flags in new ulong[] { 17, 0x3d0f00, 0x10000000 | 17, 0x20000000, 0x40000000, 0x80, 0x20000, 0x7e020000 })
        {
            yield return [flags];
        }

        foreach (ulong persona in new ulong[] { 0, 8, 0x20000, 0x20008, 0xffffffff, 0x400000, 1 })
        {
            yield return [persona];
        }
    }

    [Fact]
    public void The_installed_containers_profile_round_trips_to_an_equivalent_filter()
    {
        string json = Source();
        ImportResult imported = DockerImportTestsSupport.Import(json);
        var source = new SeccompEvaluator(json);
        SeccompEvaluator ours = Evaluator(SeccompProfileLoader.Parse(imported.Yaml, "imported.yaml"));
        var ambiguous = new SortedSet<string>(StringComparer.Ordinal);
        var differences = new List<string>();
        int compared = 0;
        foreach (string syscall in SyscallTable.Names)
        {
            foreach (ulong[] args in Vectors())
            {
                SeccompVerdict mine = ours.Evaluate(syscall, args);
                SeccompVerdict theirs;
                try
                {
                    theirs = source.Evaluate(syscall, args);
                }
                catch (InvalidOperationException)
                {
                    ambiguous.Add(syscall); // the source answers both ways: the import must refuse
                    if (mine.Allows)
                    {
                        differences.Add($"{syscall}: ambiguous in the source but allowed by the import");
                    }

                    continue;
                }

                compared++;
                if (mine != theirs)
                {
                    differences.Add($"{syscall}({string.Join(", ", args.Select(a => $"0x{a:x}"))}): source {theirs}, imported {mine}");
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
        Assert.True(compared > 30_000, $"only {compared} comparisons");
        // Each ambiguity is reported to the person importing, by syscall name.
        Assert.Equal(ambiguous, imported.Notes.Where(n => n.Contains("both lets it run and refuses it", StringComparison.Ordinal))
            .Select(n => n[..n.IndexOf(':', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_imported_group_is_marked_for_review_and_the_yaml_is_stable()
    {
        ImportResult imported = DockerImportTestsSupport.Import(Source());
        Assert.All(imported.Profile.Groups, g => Assert.StartsWith(DockerProfileImporter.ReviewMark, g.Why, StringComparison.Ordinal));
        Assert.Equal(imported.Yaml, DockerImportTestsSupport.Import(Source()).Yaml);
        // Re-importing what we emit gives the same filter: the YAML is the whole meaning.
        string emitted = JsonSerializer.Serialize(OciSeccompEmitter.Emit(imported.Profile), OciJsonContext.Default.OciSeccomp);
        Assert.Equal(ProfileDigest.Sha256(OciSeccompEmitter.Emit(imported.Profile)),
            ProfileDigest.Sha256(OciSeccompEmitter.Emit(DockerProfileImporter.Import(emitted, "emitted.json", "podman").Profile)));
    }

    [Theory]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[]}""", "denylist")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_AARCH64"],"syscalls":[]}""", "SCMP_ARCH_X86_64")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":3,"op":"SCMP_CMP_GT"}]}]}""", "SCMP_CMP_GT")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}""", "SCMP_ACT_NOTIFY")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["read"],"action":"SCMP_ACT_KILL_PROCESS"}]}""", "read is answered")]
    [InlineData("not json", "is not JSON")]
    public void What_cannot_be_imported_exactly_is_refused_naming_it(string json, string expected)
    {
        var e = Assert.Throws<SandboxException>(() => DockerProfileImporter.Import(json, "x.json", "x"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("x.json: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conditions_of_one_group_on_several_arguments_are_anded_and_exclusive_groups_share_a_syscall()
    {
        SeccompProfile p = SeccompProfileLoader.Parse(ProfileYaml.Head
            + ProfileYaml.Group("audit-socket", "w", "errno", "[socket]", "errno: EINVAL", "when: [{arg: 0, in: [16]}, {arg: 2, in: [9]}]")
            + ProfileYaml.Group("socket", "w", "allow", "[socket]", "when: {arg: 2, notEq: 9}")
            + ProfileYaml.Group("socket-other", "w", "allow", "[socket]", "when: {arg: 0, notEq: 16}"), "t.yaml");
        SeccompEvaluator e = Evaluator(p);
        Assert.Equal(new SeccompVerdict("SCMP_ACT_ERRNO", 22), e.Evaluate("socket", 16, 3, 9));
        Assert.True(e.Evaluate("socket", 16, 3, 0).Allows);
        Assert.True(e.Evaluate("socket", 2, 1, 9).Allows);
    }

    [Theory]
    [InlineData("when: {arg: 0, in: [1]}", "when: {arg: 0, in: [1, 2]}", "both conditions can match the same call")]
    [InlineData("when: {arg: 0, notEq: 1}", "when: {arg: 1, in: [1]}", "both conditions can match the same call")]
    [InlineData("when: [{arg: 0, in: [1]}, {arg: 0, in: [2]}]", "when: {arg: 1, in: [1]}", "arg 0 is tested twice")]
    [InlineData("when: [{arg: 0, in: [1]}]", "when: {arg: 1, in: [1]}", "at least two conditions")]
    [InlineData("when: {arg: 0, in: [1]}", null, "is already listed")]
    public void Groups_that_could_answer_one_call_differently_are_refused(string first, string? second, string expected)
    {
        string yaml = ProfileYaml.Head
            + ProfileYaml.Group("a", "w", "allow", "[read]", first)
            + (second is null ? ProfileYaml.Group("b", "w", "errno", "[read]", "errno: EINVAL") : ProfileYaml.Group("b", "w", "errno", "[read]", "errno: EINVAL", second));
        var e = Assert.Throws<SandboxException>(() => SeccompProfileLoader.Parse(yaml, "t.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_names_what_one_profile_lets_run_and_the_other_does_not()
    {
        SeccompProfile a = ProfileCatalog.Resolve("default"), b = ProfileCatalog.Resolve("vmm");
        ProfileDiffReport d = ProfileDiff.Compare(a, b);
        Assert.Empty(d.OnlyB); // the VMM profile is the default minus some
        Assert.Contains(d.OnlyA, x => x.Syscall == "fork" && x.A == "always" && x.B == "errno EPERM");
        Assert.True(ProfileDiff.Compare(a, a).Same);
        // A narrower argument rule is listed as such.
        SeccompProfile narrower = SeccompProfileLoader.Parse(ProfileYaml.Head + ProfileYaml.Group("s", "w", "allow", "[socket]", "when: {arg: 0, in: [AF_UNIX]}"), "n.yaml");
        SyscallDifference socket = Assert.Single(ProfileDiff.Compare(a, narrower).ArgumentRules);
        Assert.Equal(("socket", "arg0 in [1]"), (socket.Syscall, socket.B));
        Snapshot.Match("profile-diff-default-vmm.txt", ProfileDiff.Human(d));
    }
}

internal static class DockerImportTestsSupport
{
    public static ImportResult Import(string json) => DockerProfileImporter.Import(json, "/usr/share/containers/seccomp.json", "podman");
}
