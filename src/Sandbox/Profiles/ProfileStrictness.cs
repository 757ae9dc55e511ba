namespace Sandbox.Profiles;

/// <summary>
/// Decides whether one seccomp profile allows nothing that another does not: the check behind
/// "a --seccomp-profile flag may tighten the policy's profile, never loosen it".
/// </summary>
public static class ProfileStrictness
{
    /// <summary>
    /// True when every syscall <paramref name="candidate"/> lets run (allow or log) is also let run
    /// by <paramref name="reference"/>, under a condition at least as narrow as the reference's.
    /// Otherwise <paramref name="why"/> names the first syscall that would be loosened.
    /// </summary>
    public static bool IsAtLeastAsStrict(SeccompProfile candidate, SeccompProfile reference, out string why)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(reference);
        var allowedByReference = new Dictionary<string, SyscallGroup>(StringComparer.Ordinal);
        foreach (SyscallGroup g in reference.Groups.Where(Runs))
        {
            foreach (string s in g.Syscalls)
            {
                allowedByReference[s] = g;
            }
        }

        foreach (SyscallGroup g in candidate.Groups.Where(Runs))
        {
            foreach (string s in g.Syscalls)
            {
                if (!allowedByReference.TryGetValue(s, out SyscallGroup? r))
                {
                    why = $"it allows {s} (group '{g.Name}'), which profile '{reference.Name}' does not";
                    return false;
                }

                if (!Narrower(g.When, r.When))
                {
                    why = $"it allows {s} (group '{g.Name}') under a wider argument condition than profile '{reference.Name}'";
                    return false;
                }
            }
        }

        why = $"every syscall it allows, profile '{reference.Name}' allows too";
        return true;
    }

    private static bool Runs(SyscallGroup g) => g.Action is SeccompAction.Allow or SeccompAction.Log;

    // A condition is narrower when it admits a subset of the argument values the other admits.
    private static bool Narrower(ArgCondition? candidate, ArgCondition? reference) => (candidate, reference) switch
    {
        (_, null) => true,
        (null, _) => false,
        (ArgEqualsAny c, ArgEqualsAny r) => c.Arg == r.Arg && c.Values.All(r.Values.Contains),
        (ArgMaskedEquals c, ArgMaskedEquals r) => c.Arg == r.Arg && c.Mask == r.Mask && c.Value == r.Value,
        (ArgEqualsAny c, ArgMaskedEquals r) => c.Arg == r.Arg && c.Values.All(v => (v & r.Mask) == r.Value),
        _ => false,
    };
}
