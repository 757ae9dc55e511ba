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
        var allowedByReference = new Dictionary<string, List<SyscallGroup>>(StringComparer.Ordinal);
        foreach (SyscallGroup g in reference.Groups.Where(Runs))
        {
            foreach (string s in g.Syscalls)
            {
                (allowedByReference.TryGetValue(s, out var list) ? list : allowedByReference[s] = []).Add(g);
            }
        }

        foreach (SyscallGroup g in candidate.Groups.Where(Runs))
        {
            foreach (string s in g.Syscalls)
            {
                if (!allowedByReference.TryGetValue(s, out List<SyscallGroup>? r))
                {
                    why = $"it allows {s} (group '{g.Name}'), which profile '{reference.Name}' does not";
                    return false;
                }

                if (!r.Any(x => Narrower(g.When, x.When)))
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
        (ArgEqualsAny c, ArgNotEquals r) => c.Arg == r.Arg && !c.Values.Contains(r.Value),
        (ArgNotEquals c, ArgNotEquals r) => c == r,
        // Each of the reference's parts must be implied by one of the candidate's.
        (_, ArgAllOf r) => r.Parts.All(rp => ArgOverlap.Parts(candidate).Any(cp => Narrower(cp, rp))),
        // All of the candidate's parts narrow the call; it is narrower when one part alone is.
        (ArgAllOf c, _) => c.Parts.Any(p => Narrower(p, reference)),
        _ => false,
    };
}
