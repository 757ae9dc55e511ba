using System.Collections.Immutable;

namespace Sandbox.Profiles;

/// <summary>
/// YAML <c>when: [{arg: 0, ...}, {arg: 2, ...}]</c>: every condition holds, each on a different
/// argument (seccomp ANDs the comparisons of one rule; two on one argument would not stay ANDed).
/// <see cref="ArgCondition.Arg"/> is the first part's argument.
/// </summary>
public sealed record ArgAllOf(ImmutableArray<ArgCondition> Parts) : ArgCondition(Parts[0].Arg);
