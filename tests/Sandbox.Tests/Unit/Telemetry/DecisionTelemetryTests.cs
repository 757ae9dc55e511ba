using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Sandbox.Policy;
using Sandbox.Telemetry;
using Sandbox.Tests.Support;
using static Sandbox.Tests.Unit.Policy.PolicyFixtures;

namespace Sandbox.Tests.Unit.Telemetry;

/// <summary>Each decision is a span with rule and backend attributes, and is counted by backend and outcome.</summary>
public sealed class DecisionTelemetryTests
{
    // Other tests decide concurrently; this test's workloads are told apart by their image name.
    private readonly string image = "telemetry-" + Guid.NewGuid().ToString("N");

    [Fact]
    public void A_decision_is_a_span_with_rule_backend_and_outcome()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SandboxDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);

        Builtin(Facts(TrustLevel.Trusted) with { ImageReference = image });
        Builtin(Facts() with { ImageReference = image }, FakeHost.WithoutMicroVm);

        var mine = spans.Where(s => (string?)s.GetTagItem("sandbox.image") == image).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(2, mine.Count);
        Assert.All(mine, s => Assert.Equal("sandbox.policy.decide", s.OperationName));
        Assert.Equal(("container", "allowed", "trusted-to-container", "builtin:profiles/policy.yaml:43"),
            ((string?)mine[0].GetTagItem("sandbox.backend"), (string?)mine[0].GetTagItem("sandbox.outcome"), (string?)mine[0].GetTagItem("sandbox.policy.rule"), (string?)mine[0].GetTagItem("sandbox.policy.rule.location")));
        Assert.Equal(("microvm", "refused", "untrusted-to-vm", "Unavailable"),
            ((string?)mine[1].GetTagItem("sandbox.backend"), (string?)mine[1].GetTagItem("sandbox.outcome"), (string?)mine[1].GetTagItem("sandbox.policy.rule"), (string?)mine[1].GetTagItem("sandbox.refusal.kind")));
    }

    [Fact]
    public void Decisions_are_counted_by_backend_and_outcome()
    {
        var counts = new ConcurrentDictionary<(string?, string?), long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SandboxDiagnostics.Name && instrument.Name == "sandbox.policy.decisions")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? backend = null, outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "sandbox.backend") { backend = (string?)tag.Value; }
                if (tag.Key == "sandbox.outcome") { outcome = (string?)tag.Value; }
            }

            counts.AddOrUpdate((backend, outcome), value, (_, v) => v + value);
        });
        listener.Start();

        // Measurements from concurrent tests may add to these counts, never subtract: assert lower bounds.
        Builtin(Facts(TrustLevel.Trusted) with { ImageReference = image });
        Builtin(Facts(TrustLevel.Trusted) with { ImageReference = image });
        Builtin(Facts() with { ImageReference = image, Binds = ["/etc"] });

        Assert.True(counts.GetValueOrDefault(("container", "allowed")) >= 2);
        Assert.True(counts.GetValueOrDefault(("none", "refused")) >= 1); // denied, and the allow rule grants no binds either
    }
}
