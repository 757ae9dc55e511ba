using System.Text.Json;
using Sandbox.Host.Probes;
using Sandbox.Runtime;

namespace Sandbox.Tests.Integration.Host;

/// <summary>Runs the real probes on whatever host the tests run on; asserts consistency, never this host's answers.</summary>
public sealed class HostProbeIntegrationTests
{
    [Fact]
    public async Task Kvm_probe_returns_a_kind_backed_by_timing()
    {
        KvmResult result = await KvmProbe.RunAsync(TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"KVM: {result.Kind} in {result.ElapsedMilliseconds:0.0} ms: {result.Detail}");

        Assert.True(Enum.IsDefined(result.Kind));
        Assert.True(result.ElapsedMilliseconds > 0);
        Assert.Equal(result.Kind == KvmKind.Hardware, result.Ok);
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        if (!File.Exists("/dev/kvm"))
        {
            Assert.Equal(KvmKind.Absent, result.Kind);
        }

        if (result.Kind == KvmKind.Absent)
        {
            Assert.Null(result.Timing);
            return;
        }

        KvmTiming timing = Assert.IsType<KvmTiming>(result.Timing);
        Assert.Equal(KvmProbe.DefaultIterations, timing.Iterations);
        Assert.True(timing.NativeMilliseconds > 0);
        Assert.True(timing.GuestMilliseconds > 0);
        Assert.Equal(result.Kind, KvmClassifier.Classify(timing.GuestMilliseconds, timing.NativeMilliseconds, timing.GuestFinished));
        Assert.True(result.ElapsedMilliseconds < KvmProbe.Deadline.TotalMilliseconds + 2000);
    }

    [Fact]
    public async Task Collect_produces_a_report_that_renders_and_serializes()
    {
        string root = Directory.CreateTempSubdirectory("sandbox-doctor-root-").FullName;
        HostReport report;
        try
        {
            report = await HostReport.Collect(new StateRoot(root), TestContext.Current.CancellationToken);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        string text = HostReportFormatter.ToText(report);
        string json = JsonSerializer.Serialize(report, HostJsonContext.Default.HostReport);
        TestContext.Current.TestOutputHelper?.WriteLine(text);

        Assert.Contains("sandbox doctor: kernel ", text, StringComparison.Ordinal);
        Assert.Equal(OciRuntimeProbe.Runtimes, report.OciRuntimes.Select(r => r.Name));
        Assert.All(report.OciRuntimes, r => Assert.Equal(r.Path is null, r.Detail == "not found on PATH"));
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal(report.Cgroup.Ok, doc.RootElement.GetProperty("cgroup").GetProperty("ok").GetBoolean());
        if (Environment.UserName == "root")
        {
            Assert.True(report.IdMappedMounts.Ok, report.IdMappedMounts.Detail); // this host's file systems support them (HOST-FACTS)
        }
    }
}
