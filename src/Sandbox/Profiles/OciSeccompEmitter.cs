using Sandbox.Backends.Container;

namespace Sandbox.Profiles;

/// <summary>
/// Turns a profile into the OCI <c>linux.seccomp</c> section. Pure and deterministic (groups in file
/// order, names sorted within a rule) so the same profile always yields the same digest.
/// </summary>
public static class OciSeccompEmitter
{
    public static OciSeccomp Emit(SeccompProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var rules = new List<OciSyscallRule>();
        foreach (SyscallGroup group in profile.Groups)
        {
            string[] names = [.. group.Syscalls.Order(StringComparer.Ordinal)];
            string action = Action(group.Action);
            uint? errno = Errno(group.Errno);
            switch (group.When)
            {
                case null:
                    rules.Add(new OciSyscallRule(names, action, errno));
                    break;
                case ArgEqualsAny any:
                    // A rule ANDs its comparisons, so OR over values needs one rule per value.
                    foreach (ulong value in any.Values)
                    {
                        rules.Add(new OciSyscallRule(names, action, errno, [new OciSyscallArg((uint)any.Arg, value, "SCMP_CMP_EQ")]));
                    }

                    break;
                case ArgMaskedEquals or ArgNotEquals:
                    rules.Add(new OciSyscallRule(names, action, errno, [.. Alternatives(group.When).Single()]));
                    break;
                case ArgAllOf all:
                    // One rule ANDs its comparisons (each on its own argument); an 'in' part multiplies the rules.
                    IEnumerable<OciSyscallArg[]> combos = [[]];
                    foreach (ArgCondition part in all.Parts)
                    {
                        var choices = Alternatives(part).ToList();
                        combos = combos.SelectMany(c => choices.Select(choice => (OciSyscallArg[])[.. c, .. choice])).ToList();
                    }

                    rules.AddRange(combos.Select(args => new OciSyscallRule(names, action, errno, args)));
                    break;
                default:
                    throw new InvalidOperationException($"unhandled condition {group.When.GetType().Name}");
            }
        }

        return new OciSeccomp(Action(profile.DefaultAction), Errno(profile.DefaultErrno), [.. profile.Architectures.Select(Architecture)], rules);
    }

    // The comparisons a single-argument condition becomes: one alternative (rule) per 'in' value.
    private static IEnumerable<OciSyscallArg[]> Alternatives(ArgCondition c) => c switch
    {
        ArgEqualsAny any => any.Values.Select(v => (OciSyscallArg[])[new OciSyscallArg((uint)any.Arg, v, "SCMP_CMP_EQ")]),
        // OCI/libseccomp: value is the mask, valueTwo the expected result of arg & mask.
        ArgMaskedEquals m => [[new OciSyscallArg((uint)m.Arg, m.Mask, "SCMP_CMP_MASKED_EQ", m.Value)]],
        ArgNotEquals ne => [[new OciSyscallArg((uint)ne.Arg, ne.Value, "SCMP_CMP_NE")]],
        _ => throw new InvalidOperationException($"unhandled condition {c.GetType().Name}"),
    };

    private static string Action(SeccompAction action) => action switch
    {
        SeccompAction.Allow => "SCMP_ACT_ALLOW",
        SeccompAction.Errno => "SCMP_ACT_ERRNO",
        SeccompAction.KillProcess => "SCMP_ACT_KILL_PROCESS",
        SeccompAction.KillThread => "SCMP_ACT_KILL_THREAD",
        SeccompAction.Trap => "SCMP_ACT_TRAP",
        SeccompAction.Log => "SCMP_ACT_LOG",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    private static uint? Errno(string? name) =>
        name is null ? null
        : ErrnoTable.TryGetNumber(name, out uint number) ? number
        : throw new ArgumentException($"unknown errno '{name}'; profiles from the loader only use known names", nameof(name));

    private static string Architecture(string arch) => arch switch
    {
        "x86_64" => "SCMP_ARCH_X86_64",
        _ => throw new ArgumentException($"unsupported architecture '{arch}'", nameof(arch)),
    };
}
