using System.Collections.Frozen;

namespace Sandbox.Profiles;

/// <summary>
/// x86-64 syscall names known to this build. Profiles are validated against it, so a typo or a
/// syscall from another architecture is an error at load time instead of a silently ignored rule
/// (runtimes only warn about names libseccomp does not know).
/// </summary>
public static partial class SyscallTable
{
    // Built on first use: static initializers in different files of a partial class run in an
    // unspecified order, so this must not read X86_64Entries from a field initializer.
    private static FrozenDictionary<string, int>? byName;

    private static FrozenDictionary<string, int> ByName =>
        byName ??= X86_64Entries.ToFrozenDictionary(e => e.Name, e => e.Number, StringComparer.Ordinal);

    /// <summary>All names, ordered by syscall number.</summary>
    public static IEnumerable<string> Names => X86_64Entries.Select(e => e.Name);

    public static bool TryGetNumber(string name, out int nr) => ByName.TryGetValue(name, out nr);

    /// <summary>The x86-64 name of syscall <paramref name="nr"/>, e.g. to name one a seccomp filter refused.</summary>
    public static string? NameOf(int nr) => Array.Find(X86_64Entries, e => e.Number == nr).Name;
}
