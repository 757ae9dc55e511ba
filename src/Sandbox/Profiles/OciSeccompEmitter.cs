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
                case ArgMaskedEquals masked:
                    // OCI/libseccomp: value is the mask, valueTwo the expected result of arg & mask.
                    rules.Add(new OciSyscallRule(names, action, errno, [new OciSyscallArg((uint)masked.Arg, masked.Mask, "SCMP_CMP_MASKED_EQ", masked.Value)]));
                    break;
                default:
                    throw new InvalidOperationException($"unhandled condition {group.When.GetType().Name}");
            }
        }

        return new OciSeccomp(Action(profile.DefaultAction), Errno(profile.DefaultErrno), [.. profile.Architectures.Select(Architecture)], rules);
    }

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
