using System.Collections.Frozen;

namespace Sandbox.Profiles;

/// <summary>
/// Symbolic values usable in <c>when</c> conditions, so profiles read as intent (AF_VSOCK) rather
/// than magic numbers. Values are the x86-64 Linux UAPI ones.
/// </summary>
internal static class ArgConstants
{
    private static readonly FrozenDictionary<string, ulong> ByName = new Dictionary<string, ulong>(StringComparer.Ordinal)
    {
        // socket(2) address families.
        ["AF_UNSPEC"] = 0,
        ["AF_UNIX"] = 1,
        ["AF_INET"] = 2,
        ["AF_INET6"] = 10,
        ["AF_NETLINK"] = 16,
        ["AF_PACKET"] = 17,
        ["AF_ALG"] = 38,
        ["AF_VSOCK"] = 40,

        // clone(2)/unshare(2) namespace flags. CLONE_NEWTIME shares its bit with the exit-signal
        // byte of legacy clone(); valid signals (1..64) never set it, so masking it there is safe.
        ["CLONE_NEWTIME"] = 0x00000080,
        ["CLONE_NEWNS"] = 0x00020000,
        ["CLONE_NEWCGROUP"] = 0x02000000,
        ["CLONE_NEWUTS"] = 0x04000000,
        ["CLONE_NEWIPC"] = 0x08000000,
        ["CLONE_NEWUSER"] = 0x10000000,
        ["CLONE_NEWPID"] = 0x20000000,
        ["CLONE_NEWNET"] = 0x40000000,

        // personality(2) personas.
        ["PER_LINUX"] = 0x0000,
        ["PER_LINUX32"] = 0x0008,
        ["UNAME26"] = 0x00020000,
        ["ADDR_NO_RANDOMIZE"] = 0x00040000,
        ["READ_IMPLIES_EXEC"] = 0x00400000,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IEnumerable<string> Names => ByName.Keys.Order(StringComparer.Ordinal);

    public static bool TryGetValue(string name, out ulong value) => ByName.TryGetValue(name, out value);
}
