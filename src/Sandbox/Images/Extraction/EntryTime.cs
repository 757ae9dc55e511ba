namespace Sandbox.Images.Extraction;

/// <summary>
/// A stored file's modification time, as its layer gives it. Kept so the image's files look in a
/// sandbox as they did where the image was built (make, rsync and legacy installers compare
/// mtimes), and so two imports of one image give the same tree, and so the same microVM root disk.
/// </summary>
internal readonly record struct EntryTime(long Seconds, long Nanoseconds)
{
    /// <summary>What the import makes itself (implied parents, fresh mount points): the epoch, never "now".</summary>
    public static readonly EntryTime Epoch = new(0, 0);

    public static EntryTime Of(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond; // before 1970: timespec wants 0 <= nsec < 1e9
        }

        return new EntryTime(seconds, rest * 100);
    }
}
