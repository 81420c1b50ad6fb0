-- Stored event queries of POST /event_sets (SQLite dialect).
-- Keep in step with migrations/postgres/0005_event_sets.sql.

CREATE TABLE event_sets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    filters         TEXT NOT NULL,              -- the request's filters, as JSON
    interval_from   TEXT NOT NULL,
    interval_until  TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
