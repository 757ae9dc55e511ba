using Sandbox.Host.Mounts;
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
    /// Marks <paramref name="runDir"/> as owned by this launcher until the returned stream is disposed.
    /// The owner file is locked and written under another name, then renamed into place: a reaper in a
    /// concurrent launcher never finds an owner file that is not locked yet (it would take the run for
    /// an orphan and delete it mid-setup).
    /// </summary>
    /// <remarks>Dispose it only after the run directory is gone, so no reaper races the owner's own teardown.</remarks>
    public static FileStream Claim(string runDir, string record)
    {
        string staged = Path.Combine(runDir, OwnerFile + ".new");
        var owner = new FileStream(staged, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        try
        {
            owner.Write(System.Text.Encoding.UTF8.GetBytes(record));
            owner.Flush();
            File.Move(staged, Path.Combine(runDir, OwnerFile)); // the lock belongs to the open file, so it moves along
            return owner;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
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

    /// <summary>
    /// Reaps the containers recorded in abandoned ID leases of this state root and marks those slots
    /// clean, instead of waiting for the next run that happens to take the same slot.
    /// </summary>
    public static Task ReapLeasesAsync(StateRoot root, string leaseDir = IdLease.DefaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(root);
        return IdLease.ReleaseAbandonedAsync(
            holder => holder.Split('\t') is [_, var stateDir, _] && stateDir.StartsWith(root.Path + "/", StringComparison.Ordinal),
            ReapRecordAsync, leaseDir);
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
            try
            {
                await ReapRunAsync(dir).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
            {
                // its launcher finished tearing it down meanwhile: nothing left to reap
            }
        }
    }

    private static async Task ReapRunAsync(string dir)
    {
        string owner = Path.Combine(dir, OwnerFile);
        if (!File.Exists(owner))
        {
            // A launcher creates the owner file right after the directory; only an old one is abandoned.
            // (A vanished directory reads as created in 1601: check it still exists.)
            if (DateTime.UtcNow - Directory.GetCreationTimeUtc(dir) > TimeSpan.FromMinutes(1) && Directory.Exists(dir))
            {
                SafeRemove.Directory(dir);
            }

            return;
        }

        using FileStream? lockFile = TryLock(owner);
        if (lockFile is null)
        {
            return; // a live launcher owns it
        }

        using (var reader = new StreamReader(lockFile, leaveOpen: true))
        {
            await ReapRecordAsync((await reader.ReadToEndAsync().ConfigureAwait(false)).Trim()).ConfigureAwait(false);
        }

        SafeRemove.Directory(dir); // still locked, so no second reaper races it; an orphan's overlay and volume binds are still mounted
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
