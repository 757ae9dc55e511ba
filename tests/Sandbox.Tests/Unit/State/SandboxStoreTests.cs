using Microsoft.Data.Sqlite;
using Sandbox.Runtime;
using Sandbox.State;

namespace Sandbox.Tests.Unit.State;

/// <summary>The sandboxes' state database: schema migrations, WAL, unique names, atomic writes, reconciliation of dead supervisors.</summary>
public sealed class SandboxStoreTests : IDisposable
{
    private static readonly DateTime T0 = new(2026, 12, 7, 6, 0, 0, 123, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-store-").FullName;

    // Some tests open the file with SQLite directly, maybe before any store in this process set the provider.
    public SandboxStoreTests() => SystemSqlite.Init();

    private string Db => Path.Combine(_dir, "sandboxes.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_new_database_is_migrated_to_the_current_schema_in_wal_mode_and_private_to_root()
    {
        using var store = SandboxStore.Open(Db);
        Assert.Equal(StateSchema.Version, store.SchemaVersion);
        Assert.Equal("wal", store.JournalMode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Db));
    }

    [Fact]
    public void Reopening_migrates_nothing_twice_and_keeps_the_rows()
    {
        using (var store = SandboxStore.Open(Db))
        {
            store.Add(Record("sb-000000000001", "web"));
        }

        using var again = SandboxStore.Open(Db);
        Assert.Equal(StateSchema.Version, again.SchemaVersion);
        Assert.Equal("web", again.Find("sb-000000000001")?.Name);
    }

    [Fact]
    public void A_database_from_a_newer_schema_is_refused_not_downgraded()
    {
        using (var db = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = $"PRAGMA user_version = {StateSchema.Version + 1}";
            c.ExecuteNonQuery();
        }

        var e = Assert.Throws<SandboxException>(() => SandboxStore.Open(Db));
        Assert.Contains($"has schema {StateSchema.Version + 1}, newer than this sandbox knows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_reads_back_exactly_by_id_or_by_name()
    {
        using var store = SandboxStore.Open(Db);
        var record = Record("sb-000000000001", "web") with
        {
            ImageDigest = "sha256:aa", DecisionDigest = "sha256:bb", PolicyDigest = "sha256:cc",
            Status = SandboxStatus.Running, SupervisorPid = 4242, RestartCount = 2, Started = T0.AddSeconds(1),
        };
        store.Add(record);
        Assert.Equal(record, store.Find("sb-000000000001"));
        Assert.Equal(record, store.Find("web"));
        Assert.Null(store.Find("nothing"));
    }

    [Fact]
    public void A_taken_name_is_refused_with_a_hint_and_nothing_is_written()
    {
        using var store = SandboxStore.Open(Db);
        store.Add(Record("sb-000000000001", "web"));
        var e = Assert.Throws<SandboxException>(() => store.Add(Record("sb-000000000002", "web")));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("'web' already exists", e.Message, StringComparison.Ordinal);
        Assert.Contains("sandbox rm web", e.Hint, StringComparison.Ordinal);
        Assert.Null(store.Find("sb-000000000002"));
        Assert.Single(store.List(all: true));
    }

    [Fact]
    public void Ps_without_all_leaves_out_exited_sandboxes()
    {
        using var store = SandboxStore.Open(Db);
        store.Add(Record("sb-000000000001", "a") with { Status = SandboxStatus.Running, SupervisorPid = 1 });
        store.Add(Record("sb-000000000002", "b") with { Status = SandboxStatus.Exited, ExitCode = 0 });
        Assert.Equal(["sb-000000000001"], store.List(all: false).Select(s => s.Id));
        Assert.Equal(2, store.List(all: true).Count);
    }

    [Fact]
    public void Update_and_remove_change_only_the_named_sandbox()
    {
        using var store = SandboxStore.Open(Db);
        store.Add(Record("sb-000000000001", "a"));
        store.Add(Record("sb-000000000002", "b"));
        Assert.True(store.Update(store.Find("a")! with { Status = SandboxStatus.Exited, ExitCode = 3, Finished = T0.AddMinutes(1) }));
        Assert.False(store.Update(Record("sb-00000000000f", "ghost")));
        Assert.Equal(3, store.Find("a")!.ExitCode);
        Assert.Equal(SandboxStatus.Created, store.Find("b")!.Status);
        Assert.True(store.Remove("sb-000000000002"));
        Assert.False(store.Remove("sb-000000000002"));
        Assert.Null(store.Find("b"));
    }

    [Fact]
    public void Reconcile_marks_a_sandbox_whose_supervisor_died_as_exited_so_ps_never_shows_it_running()
    {
        using var store = SandboxStore.Open(Db);
        store.Add(Record("sb-000000000001", "alive") with { Status = SandboxStatus.Running, SupervisorPid = 100 });
        store.Add(Record("sb-000000000002", "dead") with { Status = SandboxStatus.Running, SupervisorPid = 200 });
        store.Add(Record("sb-000000000003", "restarting") with { Status = SandboxStatus.Restarting, SupervisorPid = 300 });

        var corrected = store.Reconcile(pid => pid == 100, T0.AddMinutes(5));
        Assert.Equal(["sb-000000000002", "sb-000000000003"], corrected.Order());
        Assert.Equal(["alive"], store.List(all: false).Select(s => s.Name));
        var dead = store.Find("dead")!;
        Assert.Equal(SandboxStatus.Exited, dead.Status);
        Assert.Null(dead.SupervisorPid);
        Assert.Null(dead.ExitCode); // nobody saw how it ended
        Assert.Equal(T0.AddMinutes(5), dead.Finished);
        Assert.Empty(store.Reconcile(pid => pid == 100, T0.AddMinutes(6)));
    }

    [Fact]
    public async Task Concurrent_writers_in_separate_connections_queue_and_every_write_lands()
    {
        using (SandboxStore.Open(Db))
        {
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            using var store = SandboxStore.Open(Db);
            for (int i = 0; i < 25; i++)
            {
                store.Add(Record($"sb-{w:x4}{i:x8}", $"w{w}-{i}"));
            }
        }, TestContext.Current.CancellationToken)));

        using var check = SandboxStore.Open(Db);
        Assert.Equal(200, check.List(all: true).Count);
    }

    [Fact]
    public void A_writer_killed_mid_transaction_leaves_the_previous_state()
    {
        using var store = SandboxStore.Open(Db);
        store.Add(Record("sb-000000000001", "a"));

        // A second writer that took the write lock and wrote, then vanished without committing (as under kill -9).
        var dying = new SqliteConnection($"Data Source={Db};Pooling=False");
        dying.Open();
        var tx = dying.BeginTransaction(deferred: false);
        using (var c = dying.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "UPDATE sandboxes SET status = 'running', supervisor_pid = 7; DELETE FROM sandboxes WHERE name = 'nothing'";
            c.ExecuteNonQuery();
        }

        dying.Dispose(); // closed without commit: SQLite rolls back

        Assert.Equal(SandboxStatus.Created, store.Find("a")!.Status);
        store.Add(Record("sb-000000000002", "b")); // and the write lock is free again
        Assert.Equal(2, store.List(all: true).Count);
    }

    private static SandboxRecord Record(string id, string name) =>
        new(id, name, "busybox", "container") { Created = T0 };
}
