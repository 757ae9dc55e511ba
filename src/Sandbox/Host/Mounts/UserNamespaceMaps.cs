using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Sandbox.Host.Files;
using Sandbox.Host.Interop;
using Sandbox.Runtime;

namespace Sandbox.Host.Mounts;

/// <summary>
/// Checks a user namespace's ID maps with the kernel itself: a reference directory holding files
/// owned by 0, 65535 and 65536 is ID-mapped through the namespace (a detached mount, never
/// attached), and their owners must read as HostStart, HostStart+65535 and anything but
/// HostStart+65536. A namespace's maps can only be read through a process inside it; this needs none.
/// </summary>
public static class UserNamespaceMaps
{
    private const string First = "first";
    private const string Last = "last";
    private const string Beyond = "beyond";

    /// <summary>The reference directory under <paramref name="dir"/>, made once (atomically) with its three owners.</summary>
    public static string EnsureReference(string dir)
    {
        string reference = Path.Combine(dir, "idmap-probe");
        if (File.Exists(Path.Combine(reference, Beyond)))
        {
            return reference;
        }

        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(dir, Private);
        string temp = Directory.CreateDirectory(Path.Combine(dir, $".idmap-probe-{Guid.NewGuid():N}"), Private).FullName;
        foreach (var (name, id) in new[] { (First, 0u), (Last, IdRange.SlotSize - 1), (Beyond, IdRange.SlotSize) })
        {
            string file = Path.Combine(temp, name);
            File.WriteAllBytes(file, []);
            FileOwner.Set(file, id, id);
        }

        try
        {
            Directory.Move(temp, reference);
        }
        catch (IOException) when (Directory.Exists(reference))
        {
            Directory.Delete(temp, recursive: true); // another launcher made it first
        }

        return reference;
    }

    public static bool Match(SafeFileHandle userns, IdRange range, string reference)
    {
        try
        {
            using var tree = OpenTree.CloneDetached(reference);
            MountSetattr.Idmap(tree, userns, readOnly: true, reference);
            return OwnerAt.Get(tree, First) == (range.HostStart, range.HostStart)
                && OwnerAt.Get(tree, Last) == (range.HostStart + range.Size - 1, range.HostStart + range.Size - 1)
                && OwnerAt.Get(tree, Beyond).Uid != range.HostStart + range.Size;
        }
        catch (MountException)
        {
            return false; // not a namespace that can ID-map (no maps written, or not a user namespace at all)
        }
    }

    internal static string Describe(IdRange range) =>
        string.Create(CultureInfo.InvariantCulture, $"0-{range.Size - 1} -> {range.HostStart}-{range.HostStart + range.Size - 1}");
}
