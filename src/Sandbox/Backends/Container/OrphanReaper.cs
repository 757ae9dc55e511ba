using Sandbox.Host;
using Sandbox.Runtime;

namespace Sandbox.Backends.Container;

/// <summary>
/// Cleans up after launchers that died without tearing down (SIGKILL, power loss): their container,
/// cgroups, runtime state and run directory. A run directory is orphaned when nobody holds its
/// owner lock; a lease slot is dirty when its last holder never released it.
/// </summary>
public static class OrphanReaper
{
    public const string OwnerFile = "owner";

    /// <summary>The lease/owner record: enough to reap the container without any other state.</summary>
    public static string Record(OciRuntime runtime, string id) => $"{runtime.BinaryPath}\t{runtime.StateDir}\t{id}";

    /// <summary>
    /// Creates a run directory's owner file and holds its lock: while it is held, no reaper touches the
    /// directory. Dispose it only after the directory is removed, or a reaper may delete concurrently.
    /// </summary>
    public static FileStream Claim(string dir, string record)
    {
        var owner = new FileStream(Path.Combine(dir, OwnerFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        owner.Write(System.Text.Encoding.UTF8.GetBytes(record));
        owner.Flush();
        return owner;
    }

    public static async Task ReapRecordAsync(string record)
    {
        string[] parts = record.Split('\t');
        if (parts.Length == 3 && File.Exists(parts[0]))
        {
            var runtime = new OciRuntime(Path.GetFileName(parts[0]), parts[0], parts[1]);
            await runtime.DeleteAsync(parts[2]).ConfigureAwait(false);
        }
    }

    /// <summary>Reaps every run directory under the state root whose launcher is gone.</summary>
    public static async Task ReapRunsAsync(StateRoot root)
    {
        if (!Directory.Exists(root.Runs))
        {
            return;
        }

        foreach (string dir in Directory.EnumerateDirectories(root.Runs))
        {
            string owner = Path.Combine(dir, OwnerFile);
            if (!File.Exists(owner))
            {
                // A launcher creates the owner file right after the directory; only an old one is abandoned.
                if (DateTime.UtcNow - Directory.GetCreationTimeUtc(dir) > TimeSpan.FromMinutes(1))
                {
                    SafeRemove.Directory(dir);
                }

                continue;
            }

            FileStream? lockFile = TryLock(owner);
            if (lockFile is null)
            {
                continue; // a live launcher owns it
            }

            using (lockFile)
            {
                using var reader = new StreamReader(lockFile, leaveOpen: true);
                await ReapRecordAsync((await reader.ReadToEndAsync().ConfigureAwait(false)).Trim()).ConfigureAwait(false);
                // Under the lock, so a second reaper cannot delete alongside; an orphan's rootfs bind,
                // overlay and volume binds are still mounted, and SafeRemove detaches them first.
                SafeRemove.Directory(dir);
            }
        }
    }

    internal static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
