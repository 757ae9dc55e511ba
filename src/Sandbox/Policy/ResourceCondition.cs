using System.Globalization;

namespace Sandbox.Policy;

/// <summary>Which resource request a <see cref="ResourceCondition"/> tests.</summary>
public enum ResourceFact
{
    Memory,
    Cpus,
    Pids,
}

/// <summary>
/// <c>resources: {memory: {above: 1G}}</c> or <c>{atMost: ...}</c>, on the values given by flags.
/// A flag that was not given requests nothing: "above" does not hold and "atMost" does.
/// </summary>
public sealed record ResourceCondition(ResourceFact Fact, bool Above, double Threshold) : Condition("resources")
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        double? value = Fact switch
        {
            ResourceFact.Memory => facts.MemoryBytes,
            ResourceFact.Cpus => facts.Cpus,
            _ => facts.PidsLimit,
        };
        string name = PolicyNames.Key(Fact);
        string limit = Fact == ResourceFact.Memory ? PolicyNames.Size((long)Threshold) : Threshold.ToString(CultureInfo.InvariantCulture);
        if (value is not { } v)
        {
            reason = $"{name} not requested, so not {(Above ? "above" : "at most")} {limit} by request";
            return !Above;
        }

        bool ok = Above ? v > Threshold : v <= Threshold;
        string shown = Fact == ResourceFact.Memory ? PolicyNames.Size((long)v) : v.ToString(CultureInfo.InvariantCulture);
        reason = $"{name} requested {shown} {(ok ? "is" : "is not")} {(Above ? "above" : "at most")} {limit}";
        return ok;
    }
}
