using Sandbox.Host.Interop;

namespace Sandbox.Host.Mounts;

/// <summary>
/// Deletes a directory tree that may have mounts below it (a sandbox's overlay root, its volume
/// binds). Everything mounted below is detached first, deepest first; deleting through a live
/// mount would delete the mounted content (a volume's data).
/// </summary>
public static class SafeRemove
{
    public static void Directory(string dir)
    {
        if (!System.IO.Directory.Exists(dir))
        {
            return;
        }

        foreach (string mount in MountTable.Under(dir))
        {
            Unmount.Detach(mount);
        }

        if (MountTable.Under(dir).Count > 0)
        {
            throw new MountException($"{dir} still has mounts below it; not deleting");
        }

        try
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // removed at the same time by someone else (a reaper that found the directory unowned): gone is the goal
        }
        catch (IOException) when (System.IO.Directory.Exists(dir))
        {
            // A name that is not UTF-8 (a sandbox may write one to a volume) cannot be deleted through
            // .NET's listing, which decodes names as text: delete the rest by the names' bytes.
            RawTree.Delete(dir);
        }
    }
}
