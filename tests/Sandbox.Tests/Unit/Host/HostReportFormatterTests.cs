using System.Text.Json;
using Sandbox.Host.Probes;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Unit.Host;

public sealed class HostReportFormatterTests
{
    [Fact]
    public void Development_host_text_matches_snapshot() =>
        Snapshot.Match("doctor.txt", HostReportFormatter.ToText(HostReportSamples.DevelopmentHost()));

    [Fact]
    public void Bare_host_text_matches_snapshot() =>
        Snapshot.Match("doctor-missing.txt", HostReportFormatter.ToText(HostReportSamples.BareHost()));

    [Fact]
    public void Every_missing_requirement_gets_a_final_line_with_its_remedy()
    {
        HostReport report = HostReportSamples.BareHost();
        string[] lines = HostReportFormatter.ToText(report).TrimEnd('\n').Split('\n');
        IReadOnlyList<MissingRequirement> missing = HostRequirements.Missing(report);

        Assert.Equal(["cgroups", "user namespaces", "overlayfs", "ID-mapped mounts on the state root", "QEMU with the microvm machine", "the guest kernel debian-6.1"], missing.Select(m => m.What));
        Assert.Equal(missing.Count, lines.Count(l => l.StartsWith("missing for ", StringComparison.Ordinal)));
        Assert.All(missing, m => Assert.Contains(lines, l => l.EndsWith(m.Remedy, StringComparison.Ordinal)));
        Assert.StartsWith("missing for ", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Crun_alone_on_a_hybrid_host_is_not_a_usable_runtime()
    {
        HostReport dev = HostReportSamples.DevelopmentHost();
        HostReport crunOnly = dev with
        {
            OciRuntimes = [new OciRuntimeResult("runc", false, "not found on PATH", "apt-get install runc", null, null, false, []), dev.OciRuntimes[1]],
        };

        MissingRequirement m = Assert.Single(HostRequirements.Missing(crunOnly));
        Assert.Equal("an OCI runtime", m.What);
        Assert.Equal("crun refuses hybrid cgroups: apt-get install runc", m.Remedy);
        Assert.Empty(HostRequirements.Missing(crunOnly with { Cgroup = CgroupProbe.Describe(CgroupMode.Unified, CgroupClassifier.Cgroup2SuperMagic, null) }));
    }

    [Fact]
    public void A_guest_kernel_not_yet_fetched_is_missing_with_the_command_that_fetches_it()
    {
        HostReport dev = HostReportSamples.DevelopmentHost();
        MissingRequirement m = Assert.Single(HostRequirements.Missing(dev with { GuestKernel = HostReportSamples.BareHost().GuestKernel }));
        Assert.Equal(("microVM", "sandbox kernel fetch debian-6.1"), (m.Backend, m.Remedy));
        Assert.DoesNotContain("nothing missing", HostReportFormatter.ToText(dev with { GuestKernel = HostReportSamples.BareHost().GuestKernel }), StringComparison.Ordinal);
    }

    [Fact]
    public void Kvm_is_never_a_missing_requirement()
    {
        HostReport dev = HostReportSamples.DevelopmentHost();
        Assert.Empty(HostRequirements.Missing(dev with { Kvm = HostReportSamples.BareHost().Kvm }));
    }

    [Fact]
    public void Json_uses_camel_case_and_enum_names()
    {
        string json = JsonSerializer.Serialize(HostReportSamples.DevelopmentHost(), HostJsonContext.Default.HostReport);
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;

        Assert.Equal("Hybrid", root.GetProperty("cgroup").GetProperty("mode").GetString());
        Assert.Equal("Emulated", root.GetProperty("kvm").GetProperty("kind").GetString());
        Assert.Equal(500_000, root.GetProperty("kvm").GetProperty("timing").GetProperty("iterations").GetInt32());
        Assert.Equal("PredatesFix", root.GetProperty("ociRuntimes")[0].GetProperty("cves")[3].GetProperty("status").GetString());
        Assert.False(root.GetProperty("overlay").TryGetProperty("remedy", out _)); // nulls are omitted
    }
}
