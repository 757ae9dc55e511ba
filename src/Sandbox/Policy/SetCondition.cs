using System.Collections.Immutable;

namespace Sandbox.Policy;

/// <summary>Which requested set a <see cref="SetCondition"/> tests.</summary>
public enum SetFact
{
    Capabilities,
    Devices,
    Volumes,
    Binds,
    /// <summary>The host directory given as the image (`run ./rootfs`): none, or one canonical path.</summary>
    PathImage,
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

/// <summary><c>capabilities:</c>, <c>devices:</c>, <c>volumes:</c>, <c>binds:</c>, <c>pathImage:</c>.</summary>
public sealed record SetCondition(SetFact Fact, SetTest Test, ImmutableArray<string> Patterns) : Condition(PolicyNames.Key(Fact))
{
    public override bool Holds(WorkloadFacts facts, IBackendAvailability host, out string reason)
    {
        ImmutableArray<string> requested = Fact switch
        {
            SetFact.Capabilities => facts.Capabilities,
            SetFact.Devices => facts.Devices,
            SetFact.Volumes => facts.Volumes,
            SetFact.PathImage => facts.PathImage is { } path ? [path] : [],
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
