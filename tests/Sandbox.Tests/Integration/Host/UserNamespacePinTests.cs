using Microsoft.Win32.SafeHandles;
using Sandbox.Host.Interop;
using Sandbox.Host.Mounts;
using Sandbox.Runtime;
using Sandbox.Tests.Support;

namespace Sandbox.Tests.Integration.Host;

/// <summary>
/// The per-slot pinned user namespace: made once, reused while its maps are right, replaced when
/// they are not (another range, or a file that is no namespace at all). Uses private pin and probe
/// directories, so it never touches the host's /run/sandbox/userns.
/// </summary>
public sealed class UserNamespacePinTests : IDisposable
{
    private readonly string _work;
    private readonly string _pins;
    private readonly string _probe;

    public UserNamespacePinTests()
    {
        Require.Root();
        Require.Tool("unshare");
        _work = Directory.CreateTempSubdirectory("sandbox-userns-").FullName;
        _pins = Path.Combine(_work, "pins");
        _probe = Path.Combine(_work, "probe");
    }

    [Fact]
    public void A_pin_is_reused_while_its_maps_match_and_replaced_when_they_do_not()
    {
        IdRange five = IdRange.ForSlot(5);
        UserNamespaceHandle.ForSlot(5, five, _probe, _pins).Dispose();
        string first = Pinned(5);
        Assert.StartsWith("user:[", first, StringComparison.Ordinal);
        UserNamespaceHandle.ForSlot(5, five, _probe, _pins).Dispose();
        Assert.Equal(first, Pinned(5)); // the same namespace, no new helper

        IdRange six = IdRange.ForSlot(6); // as if the slot's range had changed: the old pin must not be trusted
        using SafeFileHandle replaced = UserNamespaceHandle.ForSlot(5, six, _probe, _pins);
        Assert.NotEqual(first, Pinned(5));
        Assert.True(UserNamespaceMaps.Match(replaced, six, UserNamespaceMaps.EnsureReference(_probe)));
        Assert.False(UserNamespaceMaps.Match(replaced, five, UserNamespaceMaps.EnsureReference(_probe)));
    }

    [Fact]
    public void A_plain_file_in_place_of_a_pin_is_replaced_by_a_real_namespace()
    {
        Directory.CreateDirectory(_pins);
        File.WriteAllText(Path.Combine(_pins, "7.user"), "not a namespace");
        using SafeFileHandle handle = UserNamespaceHandle.ForSlot(7, IdRange.ForSlot(7), _probe, _pins);
        Assert.True(NamespaceType.IsUser(handle));
        Assert.True(MountTable.IsMountPoint(Path.Combine(_pins, "7.user")));
    }

    public void Dispose() => SafeRemove.Directory(_work); // unmounts the pins, then deletes

    // The namespace a pin holds, "user:[inode]": the root field of its nsfs line in mountinfo (the last mount wins).
    private string Pinned(int slot) =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' '))
            .Last(f => f[4] == Path.Combine(_pins, $"{slot}.user"))[3];
}
