using System.Collections.Frozen;

namespace Sandbox.Profiles;

/// <summary>
/// The errno names a profile may return (x86-64/generic Linux numbers). Deliberately short: an
/// errno a program does not expect from a syscall is a debugging trap, so new ones are added on need.
/// </summary>
internal static class ErrnoTable
{
    private static readonly FrozenDictionary<string, uint> ByName = new Dictionary<string, uint>(StringComparer.Ordinal)
    {
        ["EPERM"] = 1,
        ["ENOENT"] = 2,
        ["ESRCH"] = 3,
        ["EINTR"] = 4,
        ["EIO"] = 5,
        ["EBADF"] = 9,
        ["EAGAIN"] = 11,
        ["ENOMEM"] = 12,
        ["EACCES"] = 13,
        ["EFAULT"] = 14,
        ["EBUSY"] = 16,
        ["EEXIST"] = 17,
        ["ENODEV"] = 19,
        ["EINVAL"] = 22,
        ["ENOTTY"] = 25,
        ["EROFS"] = 30,
        ["ENOSYS"] = 38,
        ["EPROTONOSUPPORT"] = 93,
        ["EOPNOTSUPP"] = 95,
        ["EAFNOSUPPORT"] = 97,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IEnumerable<string> Names => ByName.Keys.Order(StringComparer.Ordinal);

    public static bool TryGetNumber(string name, out uint number) => ByName.TryGetValue(name, out number);

    public static bool TryGetName(uint number, out string name)
    {
        name = ByName.FirstOrDefault(e => e.Value == number).Key;
        return name is not null;
    }
}
