namespace Sandbox.Runtime;

/// <summary>
/// A block of host IDs that a sandbox's user namespace maps 0..Size-1 onto. Container root is
/// HostStart, never host root.
/// </summary>
public readonly record struct IdRange(uint HostStart, uint Size)
{
    /// <summary>
    /// The project's subordinate ID space: 1024 slots of 65536 IDs from 1,000,000,000.
    /// Far above the ranges useradd hands out (100000+), so no login user's files overlap.
    /// </summary>
    public const uint Base = 1_000_000_000;
    public const uint SlotSize = 65536;
    public const int Slots = 1024;

    public static IdRange ForSlot(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Slots);
        return new IdRange(Base + ((uint)slot * SlotSize), SlotSize);
    }

    public bool Overlaps(IdRange other) =>
        HostStart < other.HostStart + other.Size && other.HostStart < HostStart + Size;
}
