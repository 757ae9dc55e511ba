using System.Collections.Immutable;
using System.Globalization;

namespace Sandbox.Policy;

/// <summary>
/// One test in a rule's <c>match:</c> block. A rule matches when all of its conditions hold; each
/// condition explains itself in one line, whether it held or not (policy explain prints them).
/// </summary>
public abstract record Condition(string Key)
{
    public abstract bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason);

    protected static string List(IEnumerable<string> items) => string.Join(", ", items);

    protected static string Shown(IEnumerable<string> items) => items.Any() ? $"[{List(items)}]" : "none";
}

/// <summary><c>trust: untrusted</c> or a list of levels.</summary>
public sealed record TrustCondition(ImmutableArray<TrustLevel> Levels) : Condition("trust")
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        bool ok = Levels.Contains(facts.Trust);
        reason = $"trust={PolicyNames.Trust(facts.Trust)} {(ok ? "is" : "is not")} in [{List(Levels.Select(PolicyNames.Trust))}]";
        return ok;
    }
}

/// <summary><c>backend: container</c>: the backend the user asked for with --backend (auto when not given).</summary>
public sealed record RequestedBackendCondition(ImmutableArray<BackendKind> Backends) : Condition("backend")
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        bool ok = Backends.Contains(facts.RequestedBackend);
        reason = $"requested backend={PolicyNames.Backend(facts.RequestedBackend)} {(ok ? "is" : "is not")} in [{List(Backends.Select(PolicyNames.Backend))}]";
        return ok;
    }
}

/// <summary>Which single-valued fact a <see cref="PatternCondition"/> tests.</summary>
public enum TextFact
{
    Image,
    Digest,
    Command,
    Network,
}

/// <summary><c>image:</c>, <c>digest:</c>, <c>command:</c>, <c>network:</c> — the fact matches any of the glob patterns.</summary>
public sealed record PatternCondition(TextFact Fact, ImmutableArray<string> Patterns) : Condition(PolicyNames.Key(Fact))
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        string? value = Fact switch
        {
            TextFact.Image => facts.ImageReference,
            TextFact.Digest => facts.ImageDigest,
            TextFact.Command => facts.Command.IsEmpty ? null : string.Join(' ', facts.Command),
            _ => facts.Network,
        };
        bool ok = value is not null && Glob.AnyMatch(Patterns, value);
        string shown = value is null ? $"{Key} unknown" : $"{Key}='{value}'";
        reason = $"{shown} {(ok ? "matches" : "does not match")} [{List(Patterns)}]";
        return ok;
    }
}

/// <summary><c>labels: {key: pattern}</c> — every listed label is present and matches.</summary>
public sealed record LabelsCondition(ImmutableSortedDictionary<string, string> Patterns) : Condition("labels")
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        foreach ((string key, string pattern) in Patterns)
        {
            if (!facts.Labels.TryGetValue(key, out string? value) || !Glob.IsMatch(pattern, value))
            {
                reason = value is null ? $"label {key} is absent" : $"label {key}='{value}' does not match '{pattern}'";
                return false;
            }
        }

        reason = $"labels match {{{List(Patterns.Select(p => $"{p.Key}: {p.Value}"))}}}";
        return true;
    }
}

/// <summary>Which requested set a <see cref="SetCondition"/> tests.</summary>
public enum SetFact
{
    Capabilities,
    Devices,
    Volumes,
    Binds,
}

/// <summary>How a <see cref="SetCondition"/> compares the requested set with its patterns.</summary>
public enum SetTest
{
    /// <summary><c>none</c>: nothing requested.</summary>
    None,
    /// <summary><c>any</c>: at least one requested.</summary>
    Any,
    /// <summary><c>{anyOf: [...]}</c>: at least one requested item matches a pattern.</summary>
    AnyOf,
    /// <summary><c>{within: [...]}</c>: every requested item matches a pattern (an empty request does).</summary>
    Within,
}

/// <summary><c>capabilities:</c>, <c>devices:</c>, <c>volumes:</c>, <c>binds:</c>.</summary>
public sealed record SetCondition(SetFact Fact, SetTest Test, ImmutableArray<string> Patterns) : Condition(PolicyNames.Key(Fact))
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        ImmutableArray<string> requested = Fact switch
        {
            SetFact.Capabilities => facts.Capabilities,
            SetFact.Devices => facts.Devices,
            SetFact.Volumes => facts.Volumes,
            _ => facts.Binds,
        };
        bool ok = Test switch
        {
            SetTest.None => requested.IsEmpty,
            SetTest.Any => !requested.IsEmpty,
            SetTest.AnyOf => requested.Any(r => Glob.AnyMatch(Patterns, r)),
            _ => requested.All(r => Glob.AnyMatch(Patterns, r)),
        };
        string test = Test switch
        {
            SetTest.None => "none",
            SetTest.Any => "any",
            SetTest.AnyOf => $"anyOf [{List(Patterns)}]",
            _ => $"within [{List(Patterns)}]",
        };
        reason = $"{Key} requested {Shown(requested)} {(ok ? "satisfies" : "does not satisfy")} {test}";
        return ok;
    }
}

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

/// <summary>What a <see cref="KernelCondition"/> requires of the requested kernel.</summary>
public enum KernelTest
{
    /// <summary><c>none</c>: no kernel requested.</summary>
    None,
    /// <summary><c>any</c>: some kernel requested.</summary>
    Any,
    /// <summary><c>host-provides</c>: a kernel was requested and the host's own kernel satisfies it.</summary>
    HostProvides,
    /// <summary><c>host-cannot-provide</c>: a kernel was requested and the host's kernel does not satisfy it.</summary>
    HostCannotProvide,
    /// <summary>A list: the requested kernel matches one of the patterns.</summary>
    Named,
}

/// <summary><c>kernel:</c> — on --kernel or the image's sandbox.kernel label.</summary>
public sealed record KernelCondition(KernelTest Test, ImmutableArray<string> Patterns) : Condition("kernel")
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        string? k = facts.RequestedKernel;
        if (k is null)
        {
            reason = "no kernel requested";
            return Test == KernelTest.None;
        }

        switch (Test)
        {
            case KernelTest.HostProvides or KernelTest.HostCannotProvide:
                Availability a = host.HostKernel(k);
                reason = $"kernel {k} requested; the host {(a.Available ? "provides" : "cannot provide")} it ({a.Reason})";
                return a.Available == (Test == KernelTest.HostProvides);
            case KernelTest.Named:
                bool ok = Glob.AnyMatch(Patterns, k);
                reason = $"kernel {k} requested, {(ok ? "matches" : "does not match")} [{List(Patterns)}]";
                return ok;
            default:
                reason = $"kernel {k} requested";
                return Test == KernelTest.Any;
        }
    }
}
