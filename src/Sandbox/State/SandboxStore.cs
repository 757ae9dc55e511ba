using System.Globalization;
using Microsoft.Data.Sqlite;
using Sandbox.Runtime;

namespace Sandbox.State;

/// <summary>
/// The sandboxes' state: one SQLite database under the state root, in WAL mode so readers (`ps`)
/// never wait for a writer. Every write is one IMMEDIATE transaction, so a writer killed at any
/// instant leaves the previous state or the next one, never half of it; concurrent writers queue
/// behind SQLite's write lock (busy timeout) instead of failing. The rule on top: a running
/// sandbox's row is written by its supervisor alone; <see cref="Reconcile"/> is how anyone else
/// corrects a row whose supervisor has died.
/// </summary>
public sealed class SandboxStore : IDisposable
{
    private const string Columns = "id, name, image, image_digest, backend, decision_digest, policy_digest, status, supervisor_pid, exit_code, restart_count, created, started, finished";
    private readonly SqliteConnection _db;

    private SandboxStore(SqliteConnection db) => _db = db;

    /// <summary>The database file under <paramref name="root"/>, created and migrated to the current schema on first use.</summary>
    public static string PathIn(StateRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return System.IO.Path.Combine(root.Path, "sandboxes.db");
    }

    public static SandboxStore Open(StateRoot root) => Open(PathIn(root));

    public static SandboxStore Open(string path)
    {
        SystemSqlite.Init();
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // a connection per store: nothing cached across a kill -9
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            db.Open();
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the state is root's alone
            Execute(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;");
            Migrate(db, path);
            return new SandboxStore(db);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new SandboxException(ErrorKind.HostUnsupported, $"the state database {path} cannot be used: {e.Message}",
                "check that the state root is on a local disk and writable", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Brings the schema from its user_version to the current one, one transaction per migration; refuses a newer schema.</summary>
    private static void Migrate(SqliteConnection db, string path)
    {
        while (true)
        {
            using var tx = db.BeginTransaction(deferred: false); // IMMEDIATE: two first openers never migrate twice
            long version = Scalar(db, tx, "PRAGMA user_version");
            if (version > StateSchema.Version)
            {
                throw new SandboxException(ErrorKind.HostUnsupported,
                    $"the state database {path} has schema {version}, newer than this sandbox knows ({StateSchema.Version})",
                    "use the sandbox release that wrote it, or a newer one");
            }

            if (version == StateSchema.Version)
            {
                return;
            }

            using (var migrate = db.CreateCommand())
            {
                migrate.Transaction = tx;
                migrate.CommandText = StateSchema.Migrations[(int)version] + string.Create(CultureInfo.InvariantCulture, $"; PRAGMA user_version = {version + 1};");
                migrate.ExecuteNonQuery();
            }

            tx.Commit();
        }
    }

    /// <summary>The schema version the database is at.</summary>
    public long SchemaVersion => Scalar(_db, null, "PRAGMA user_version");

    /// <summary>The journal mode in force ("wal").</summary>
    public string JournalMode
    {
        get
        {
            using var c = _db.CreateCommand();
            c.CommandText = "PRAGMA journal_mode";
            return (string)c.ExecuteScalar()!;
        }
    }

    /// <summary>Records a new sandbox; a name already taken is refused (names are unique), and nothing is written.</summary>
    public void Add(SandboxRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            Write(c =>
            {
                c.CommandText = $"INSERT INTO sandboxes ({Columns}) VALUES ($id, $name, $image, $image_digest, $backend, $decision_digest, $policy_digest, $status, $pid, $exit, $restarts, $created, $started, $finished)";
                Bind(c, record);
            });
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 && e.Message.Contains("sandboxes.name", StringComparison.Ordinal)) // SQLITE_CONSTRAINT
        {
            throw new SandboxException(ErrorKind.InvalidArgument, $"--name: a sandbox named '{record.Name}' already exists",
                $"choose another name, or remove it first: sandbox rm {record.Name}", e);
        }
    }

    /// <summary>Replaces the row of <paramref name="record"/>'s sandbox; false when there is none.</summary>
    public bool Update(SandboxRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        int changed = 0;
        Write(c =>
        {
            c.CommandText = """
                UPDATE sandboxes SET name = $name, image = $image, image_digest = $image_digest, backend = $backend,
                  decision_digest = $decision_digest, policy_digest = $policy_digest, status = $status, supervisor_pid = $pid,
                  exit_code = $exit, restart_count = $restarts, created = $created, started = $started, finished = $finished
                WHERE id = $id
                """;
            Bind(c, record);
            changed = c.ExecuteNonQuery();
        }, execute: false);
        return changed == 1;
    }

    /// <summary>
    /// The supervisor's claim on its `created` row: its PID, written only if the row is still created
    /// and unclaimed (one statement, so a reconcile that gave up on the start wins or loses whole).
    /// </summary>
    public bool TryClaim(string id, int supervisorPid)
    {
        int changed = 0;
        Write(c =>
        {
            c.CommandText = "UPDATE sandboxes SET supervisor_pid = $pid WHERE id = $id AND status = 'created' AND supervisor_pid IS NULL";
            c.Parameters.AddWithValue("$pid", supervisorPid);
            c.Parameters.AddWithValue("$id", id);
            changed = c.ExecuteNonQuery();
        }, execute: false);
        return changed == 1;
    }

    public bool Remove(string id)
    {
        int changed = 0;
        Write(c =>
        {
            c.CommandText = "DELETE FROM sandboxes WHERE id = $id";
            c.Parameters.AddWithValue("$id", id);
            changed = c.ExecuteNonQuery();
        }, execute: false);
        return changed == 1;
    }

    /// <summary>The sandbox with this ID or name (docker's lookup: an exact ID, else a name).</summary>
    public SandboxRecord? Find(string idOrName)
    {
        using var c = _db.CreateCommand();
        c.CommandText = $"SELECT {Columns} FROM sandboxes WHERE id = $key OR name = $key ORDER BY id = $key DESC LIMIT 1";
        c.Parameters.AddWithValue("$key", idOrName);
        using var r = c.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    /// <summary>All sandboxes, newest first; with <paramref name="all"/> false only those not exited (`ps` without -a).</summary>
    public IReadOnlyList<SandboxRecord> List(bool all)
    {
        using var c = _db.CreateCommand();
        c.CommandText = $"SELECT {Columns} FROM sandboxes {(all ? "" : "WHERE status <> 'exited'")} ORDER BY created DESC, id";
        using var r = c.ExecuteReader();
        var list = new List<SandboxRecord>();
        while (r.Read())
        {
            list.Add(Read(r));
        }

        return list;
    }

    /// <summary>
    /// Corrects rows whose supervisor is gone (killed, crashed): a sandbox recorded as running or
    /// restarting with no live supervisor is exited, with no exit code (nobody saw it), so `ps`
    /// never shows a dead sandbox as running. Returns the IDs it corrected.
    /// </summary>
    /// <param name="starting">
    /// Whether a `created` row with no supervisor PID yet is still being started (its `run -d` or its
    /// supervisor alive); when it is not, the start was killed and the row is exited. Null leaves
    /// such rows alone.
    /// </param>
    public IReadOnlyList<string> Reconcile(Func<int, bool> supervisorAlive, DateTime now, Func<string, bool>? starting = null)
    {
        ArgumentNullException.ThrowIfNull(supervisorAlive);
        var corrected = new List<string>();
        Write(c =>
        {
            c.CommandText = $"SELECT {Columns} FROM sandboxes WHERE status IN ('running', 'restarting', 'created')";
            var stale = new List<SandboxRecord>();
            using (var r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    var record = Read(r);
                    if (record.SupervisorPid is not { } pid || !supervisorAlive(pid))
                    {
                        stale.Add(record);
                    }
                }
            }

            foreach (var record in stale.Where(s => s.Status != SandboxStatus.Created || s.SupervisorPid is not null || (starting is not null && !starting(s.Id))))
            {
                using var u = _db.CreateCommand();
                u.Transaction = c.Transaction;
                u.CommandText = "UPDATE sandboxes SET status = 'exited', supervisor_pid = NULL, finished = $finished WHERE id = $id";
                u.Parameters.AddWithValue("$finished", Time(now));
                u.Parameters.AddWithValue("$id", record.Id);
                u.ExecuteNonQuery();
                corrected.Add(record.Id);
            }
        }, execute: false);
        return corrected;
    }

    public void Dispose() => _db.Dispose();

    private void Write(Action<SqliteCommand> prepare, bool execute = true)
    {
        using var tx = _db.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock first, then read-modify-write
        using var c = _db.CreateCommand();
        c.Transaction = tx;
        prepare(c);
        if (execute)
        {
            c.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private static void Bind(SqliteCommand c, SandboxRecord s)
    {
        c.Parameters.AddWithValue("$id", s.Id);
        c.Parameters.AddWithValue("$name", s.Name);
        c.Parameters.AddWithValue("$image", s.Image);
        c.Parameters.AddWithValue("$image_digest", (object?)s.ImageDigest ?? DBNull.Value);
        c.Parameters.AddWithValue("$backend", s.Backend);
        c.Parameters.AddWithValue("$decision_digest", (object?)s.DecisionDigest ?? DBNull.Value);
        c.Parameters.AddWithValue("$policy_digest", (object?)s.PolicyDigest ?? DBNull.Value);
        c.Parameters.AddWithValue("$status", s.Status.ToString().ToLowerInvariant());
        c.Parameters.AddWithValue("$pid", (object?)s.SupervisorPid ?? DBNull.Value);
        c.Parameters.AddWithValue("$exit", (object?)s.ExitCode ?? DBNull.Value);
        c.Parameters.AddWithValue("$restarts", s.RestartCount);
        c.Parameters.AddWithValue("$created", Time(s.Created));
        c.Parameters.AddWithValue("$started", s.Started is { } st ? Time(st) : DBNull.Value);
        c.Parameters.AddWithValue("$finished", s.Finished is { } f ? Time(f) : DBNull.Value);
    }

    private static SandboxRecord Read(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(4))
    {
        ImageDigest = r.IsDBNull(3) ? null : r.GetString(3),
        DecisionDigest = r.IsDBNull(5) ? null : r.GetString(5),
        PolicyDigest = r.IsDBNull(6) ? null : r.GetString(6),
        Status = r.GetString(7) switch
        {
            "created" => SandboxStatus.Created,
            "running" => SandboxStatus.Running,
            "restarting" => SandboxStatus.Restarting,
            _ => SandboxStatus.Exited,
        },
        SupervisorPid = r.IsDBNull(8) ? null : r.GetInt32(8),
        ExitCode = r.IsDBNull(9) ? null : r.GetInt32(9),
        RestartCount = r.GetInt32(10),
        Created = ParseTime(r.GetString(11)),
        Started = r.IsDBNull(12) ? null : ParseTime(r.GetString(12)),
        Finished = r.IsDBNull(13) ? null : ParseTime(r.GetString(13)),
    };

    // ISO 8601 UTC with milliseconds: sorts as text, reads back exactly.
    private static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string s) => DateTime.ParseExact(s, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
        DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static long Scalar(SqliteConnection db, SqliteTransaction? tx, string sql)
    {
        using var c = db.CreateCommand();
        c.Transaction = tx;
        c.CommandText = sql;
        return (long)c.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
