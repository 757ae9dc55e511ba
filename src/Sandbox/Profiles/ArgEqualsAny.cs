using System.Collections.Immutable;

namespace Sandbox.Profiles;

/// <summary>
/// YAML <c>{arg: N, in: [...]}</c>: matches when the argument equals any of the values.
/// Emitted as one rule per value, because a seccomp rule ANDs its comparisons.
/// </summary>
public sealed record ArgEqualsAny(int Arg, ImmutableArray<ulong> Values) : ArgCondition(Arg);
