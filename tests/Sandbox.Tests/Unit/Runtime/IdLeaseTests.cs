using Sandbox.Runtime;

namespace Sandbox.Tests.Unit.Runtime;

public sealed class IdLeaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-leases-").FullName;

    [Fact]
    public void Concurrent_holders_get_disjoint_ranges()
    {
        var leases = Enumerable.Range(0, 20).Select(i => IdLease.Acquire($"holder-{i}", _dir)).ToList();
        try
        {
            for (int i = 0; i < leases.Count; i++)
            {
                for (int j = i + 1; j < leases.Count; j++)
                {
                    Assert.False(leases[i].Range.Overlaps(leases[j].Range), $"{i} and {j} overlap");
                }
            }

            Assert.All(leases, l => Assert.True(l.Range.HostStart >= IdRange.Base));
        }
        finally
        {
            leases.ForEach(l => l.Dispose());
        }
    }

    [Fact]
    public void A_released_slot_is_reused_clean()
    {
        int slot;
        using (var first = IdLease.Acquire("first", _dir))
        {
            slot = first.Slot;
        }

        using var second = IdLease.Acquire("second", _dir);
        Assert.Equal(slot, second.Slot);
        Assert.Null(second.PreviousHolder);
    }

    [Fact]
    public void A_slot_whose_holder_died_names_it_for_reaping()
    {
        // Simulate a holder that died without releasing: the record stays, the lock is gone.
        File.WriteAllText(Path.Combine(_dir, "0.lease"), "runc\t/state\tsb-dead");
        using var lease = IdLease.Acquire("next", _dir);
        Assert.Equal(0, lease.Slot);
        Assert.Equal("runc\t/state\tsb-dead", lease.PreviousHolder);
    }

    [Fact]
    public void Ranges_never_include_host_root_or_login_users()
    {
        Assert.True(IdRange.ForSlot(0).HostStart >= 1_000_000_000);
        var last = IdRange.ForSlot(IdRange.Slots - 1);
        Assert.True((ulong)last.HostStart + last.Size < uint.MaxValue);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
