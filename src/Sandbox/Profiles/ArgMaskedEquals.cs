namespace Sandbox.Profiles;

/// <summary>YAML <c>{arg: N, maskedEq: {mask: [...], value: V}}</c>: matches when (arg &amp; Mask) == Value.</summary>
public sealed record ArgMaskedEquals(int Arg, ulong Mask, ulong Value) : ArgCondition(Arg);
