using System.Collections.Immutable;

namespace Sandbox.Profiles;

/// <summary>Syscalls that share one action and one justification.</summary>
/// <param name="Why">Why these syscalls get this action; required so every allowance is reviewed.</param>
/// <param name="Errno">Errno name when <paramref name="Action"/> is Errno, else null.</param>
/// <param name="Syscalls">Names in file order, each present in <see cref="SyscallTable"/>.</param>
/// <param name="When">Optional argument condition; null means the action applies unconditionally.</param>
public sealed record SyscallGroup(
    string Name,
    string Why,
    SeccompAction Action,
    string? Errno,
    ImmutableArray<string> Syscalls,
    ArgCondition? When);
