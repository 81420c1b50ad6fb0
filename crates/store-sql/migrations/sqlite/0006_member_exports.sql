-- Member exports, a background job whose file lives in the data directory
-- (SQLite dialect). Keep in step with migrations/postgres/0006_member_exports.sql.

CREATE TABLE member_exports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    format          TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
    filters         TEXT NOT NULL,              -- place_id, group_id, query, and the requester's scope, as JSON
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'in_progress', 'finished', 'failed')),
    rows_count      INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX member_exports_organization ON member_exports (organization_id, id);
