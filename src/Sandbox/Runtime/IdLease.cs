using System.Text;

namespace Sandbox.Runtime;

/// <summary>
/// Exclusive use of one ID range for as long as this object lives. The lock is a flock held on an
/// open file (FileShare.None), so the kernel releases it if the holder dies; the file records which
/// sandbox held it so a later acquirer can reap a leftover container before reusing the IDs.
/// Leases live in /run (host-wide, cleared at boot), not in a state root: two state roots on one
/// host share the same ID space and must never hand out the same range.
/// </summary>
public sealed class IdLease : IDisposable
{
    private readonly FileStream _lock;

    private IdLease(FileStream lockFile, int slot, string? previousHolder)
    {
        _lock = lockFile;
        Slot = slot;
        Range = IdRange.ForSlot(slot);
        PreviousHolder = previousHolder;
    }

    public int Slot { get; }

    public IdRange Range { get; }

    /// <summary>The sandbox ID that last held this slot and did not release it cleanly, if any.</summary>
    public string? PreviousHolder { get; }

    public const string DefaultDirectory = "/run/sandbox/leases";

    /// <summary>Takes the first free slot. Two concurrent sandboxes can never hold the same one.</summary>
    public static IdLease Acquire(string holder, string dir = DefaultDirectory)
    {
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        for (int slot = 0; slot < IdRange.Slots; slot++)
        {
            FileStream? fs = TryLock(Path.Combine(dir, $"{slot}.lease"));
            if (fs is null)
            {
                continue;
            }

            string previous = ReadHolder(fs);
            WriteHolder(fs, holder);
            return new IdLease(fs, slot, previous.Length > 0 ? previous : null);
        }

        throw new SandboxException(ErrorKind.StateConflict,
            $"all {IdRange.Slots} subordinate ID ranges are in use under {dir}",
            "wait for running sandboxes to finish (or stop some) and retry");
    }

    /// <summary>
    /// Releases every abandoned lease (unlocked, a holder recorded) whose holder <paramref name="matches"/>,
    /// once <paramref name="reap"/> has removed what that holder left. Held leases belong to live sandboxes
    /// and are skipped. For cleaning up after killed launchers without waiting for their slots' reuse.
    /// </summary>
    public static async Task ReleaseAbandonedAsync(Func<string, bool> matches, Func<string, Task> reap, string dir = DefaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(reap);
        if (!Directory.Exists(dir))
        {
            return;
        }

        foreach (string path in Directory.EnumerateFiles(dir, "*.lease"))
        {
            using FileStream? fs = TryLock(path);
            if (fs is null || ReadHolder(fs) is not { Length: > 0 } holder || !matches(holder))
            {
                continue;
            }

            await reap(holder).ConfigureAwait(false);
            WriteHolder(fs, string.Empty);
        }
    }

    /// <summary>Marks the slot clean (no container left behind) and unlocks it.</summary>
    public void Dispose()
    {
        WriteHolder(_lock, string.Empty);
        _lock.Dispose();
    }

    private static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null; // held by a live sandbox
        }
    }

    private static string ReadHolder(FileStream fs)
    {
        fs.Position = 0;
        var buffer = new byte[256];
        int n = fs.Read(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n).Trim();
    }

    private static void WriteHolder(FileStream fs, string holder)
    {
        fs.SetLength(0);
        fs.Write(Encoding.UTF8.GetBytes(holder));
        fs.Flush(flushToDisk: true);
    }
}
