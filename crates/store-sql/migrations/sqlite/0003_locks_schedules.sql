-- Doors, the groups that hold them, and group schedules (SQLite dialect).
-- Keep in step with migrations/postgres/0003_locks_schedules.sql.

ALTER TABLE members ADD COLUMN last_accessed_lock_id INTEGER;

CREATE TABLE locks (
    id                           INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id              INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    place_id                     INTEGER NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    name                         TEXT NOT NULL,
    search                       TEXT NOT NULL,
    description                  TEXT,
    latitude                     DOUBLE PRECISION,
    longitude                    DOUBLE PRECISION,
    geofence_restriction_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    geofence_restriction_radius  DOUBLE PRECISION NOT NULL DEFAULT 200,
    reader_restriction_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    time_restriction_enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    order_id                     INTEGER,
    floor_id                     INTEGER,
    locked_down                  BOOLEAN NOT NULL DEFAULT FALSE,
    locked_down_since            TEXT,
    created_at                   TEXT NOT NULL,
    updated_at                   TEXT NOT NULL
);
CREATE INDEX locks_organization ON locks (organization_id, place_id);

CREATE TABLE group_locks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    lock_id         INTEGER NOT NULL REFERENCES locks (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (group_id, lock_id)
);
CREATE INDEX group_locks_lock ON group_locks (lock_id);

-- Time restrictions of groups: recurring weekly windows and single events.
CREATE TABLE schedules (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id   INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    group_id          INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    type              TEXT NOT NULL CHECK (type IN ('recurring_event', 'single_event')),
    name              TEXT,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    days              INTEGER NOT NULL DEFAULT 0,   -- bit 0 = Monday ... bit 6 = Sunday
    starts_at_minute  INTEGER,
    ends_at_minute    INTEGER,
    starts_at         TEXT,
    ends_at           TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX schedules_group ON schedules (group_id);
