using System.Collections.Immutable;

namespace Sandbox.Profiles;

/// <summary>
/// A seccomp profile as written in profiles/seccomp/*.yaml: a default action for every syscall not
/// listed, and ordered groups that each justify why their syscalls get a different action.
/// </summary>
/// <param name="DefaultErrno">Errno name (e.g. EPERM) when <paramref name="DefaultAction"/> is Errno, else null.</param>
/// <param name="Architectures">Architecture names as written in the YAML; only "x86_64" is accepted today.</param>
public sealed record SeccompProfile(
    string Name,
    string Description,
    SeccompAction DefaultAction,
    string? DefaultErrno,
    ImmutableArray<string> Architectures,
    ImmutableArray<SyscallGroup> Groups);
