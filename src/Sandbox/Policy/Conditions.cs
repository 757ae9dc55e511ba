using System.Collections.Immutable;

namespace Sandbox.Policy;

/// <summary>
/// One test in a rule's <c>match:</c> block. A rule matches when all of its conditions hold; each
/// condition explains itself in one line, whether it held or not (policy explain prints them).
/// </summary>
public abstract record Condition(string Key)
{
    public abstract bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason);

    internal static string List(IEnumerable<string> items) => string.Join(", ", items);

    internal static string Shown(IEnumerable<string> items) => items.Any() ? $"[{List(items)}]" : "none";
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
