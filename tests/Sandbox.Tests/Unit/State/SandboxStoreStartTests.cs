using Sandbox.State;

namespace Sandbox.Tests.Unit.State;

/// <summary>A start killed midway (kill -9 of `run -d` or of a supervisor before it claimed its row) is reconciled, and a late supervisor cannot revive it.</summary>
public sealed class SandboxStoreStartTests : IDisposable
{
    private static readonly DateTime T0 = new(2026, 12, 7, 6, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-store-start-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_created_row_whose_start_is_no_longer_under_way_is_exited_and_one_under_way_is_left()
    {
        using var store = SandboxStore.Open(Path.Combine(_dir, "sandboxes.db"));
        store.Add(new SandboxRecord("sb-000000000001", "starting", "busybox", "auto") { Created = T0 });
        store.Add(new SandboxRecord("sb-000000000002", "abandoned", "busybox", "auto") { Created = T0 });

        Assert.Empty(store.Reconcile(_ => false, T0.AddSeconds(1))); // without the starting probe: left alone, as before
        Assert.Equal(["sb-000000000002"], store.Reconcile(_ => false, T0.AddSeconds(2), id => id == "sb-000000000001"));
        Assert.Equal(SandboxStatus.Created, store.Find("starting")!.Status);
        Assert.Equal(SandboxStatus.Exited, store.Find("abandoned")!.Status);
        Assert.Null(store.Find("abandoned")!.ExitCode);
    }

    [Fact]
    public void A_supervisor_claims_only_a_row_still_waiting_for_it_and_only_once()
    {
        using var store = SandboxStore.Open(Path.Combine(_dir, "sandboxes.db"));
        store.Add(new SandboxRecord("sb-000000000001", "waiting", "busybox", "auto") { Created = T0 });
        store.Add(new SandboxRecord("sb-000000000002", "given-up", "busybox", "auto") { Created = T0 });
        store.Reconcile(_ => false, T0, id => id == "sb-000000000001");

        Assert.True(store.TryClaim("sb-000000000001", 4242));
        Assert.Equal(4242, store.Find("waiting")!.SupervisorPid);
        Assert.False(store.TryClaim("sb-000000000001", 4343)); // a second supervisor
        Assert.False(store.TryClaim("sb-000000000002", 4444)); // too late: its start was given up
        Assert.Equal(SandboxStatus.Exited, store.Find("given-up")!.Status);
        Assert.False(store.TryClaim("sb-000000000009", 1)); // none
    }
}
