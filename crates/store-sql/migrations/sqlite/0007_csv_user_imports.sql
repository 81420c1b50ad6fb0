-- CSV user imports (SQLite dialect). Keep in step with migrations/postgres/0007_csv_user_imports.sql.

CREATE TABLE csv_user_imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'in_progress', 'finished', 'failed')),
    import_errors   TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
