namespace Sandbox.State;

/// <summary>
/// The state database's schema as ordered migrations: migration N takes a database at
/// user_version N to N+1. A migration is never edited once released; a change is a new one.
/// </summary>
public static class StateSchema
{
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE sandboxes (
            id              TEXT PRIMARY KEY NOT NULL,
            name            TEXT NOT NULL UNIQUE,
            image           TEXT NOT NULL,
            image_digest    TEXT,
            backend         TEXT NOT NULL,
            decision_digest TEXT,
            policy_digest   TEXT,
            status          TEXT NOT NULL CHECK (status IN ('created', 'running', 'restarting', 'exited')),
            supervisor_pid  INTEGER,
            exit_code       INTEGER,
            restart_count   INTEGER NOT NULL DEFAULT 0,
            created         TEXT NOT NULL,
            started         TEXT,
            finished        TEXT
        ) STRICT;
        """,
    ];

    public static int Version => Migrations.Count;
}
