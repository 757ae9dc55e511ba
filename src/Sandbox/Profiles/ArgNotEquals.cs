namespace Sandbox.Profiles;

/// <summary>
/// YAML <c>{arg: N, notEq: V}</c>: matches when the argument differs from one value. One comparison,
/// so unlike a negated list it stays a single rule (see ConditionParser on notIn).
/// </summary>
public sealed record ArgNotEquals(int Arg, ulong Value) : ArgCondition(Arg);
