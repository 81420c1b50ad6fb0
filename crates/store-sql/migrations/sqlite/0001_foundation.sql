-- Foundation schema (SQLite dialect). Timestamps are RFC 3339 text in UTC,
-- booleans are 0/1. Keep in step with migrations/postgres/0001_foundation.sql.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,          -- canonical lower-case
    name          TEXT NOT NULL,
    image         TEXT,
    locale        TEXT,
    password_hash TEXT,                          -- Argon2id PHC string
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE organizations (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    name                       TEXT NOT NULL,
    domain                     TEXT NOT NULL UNIQUE,
    subscription               TEXT NOT NULL CHECK (subscription IN ('organizations', 'standard')),
    address                    TEXT,
    description                TEXT,
    logo                       TEXT,
    device_logins_expire_after INTEGER NOT NULL DEFAULT 1209600,
    time_zone                  TEXT NOT NULL,
    owner_user_id              INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);

CREATE TABLE members (
    id                               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id                  INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id                          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                             TEXT,       -- NULL: the user's name
    image                            TEXT,
    notes                            TEXT,
    metadata                         TEXT NOT NULL DEFAULT '{}',
    access_enabled                   BOOLEAN NOT NULL,
    password_flow_enabled            BOOLEAN NOT NULL,
    link_enabled                     BOOLEAN NOT NULL,
    app_enabled                      BOOLEAN NOT NULL,
    card_enabled                     BOOLEAN NOT NULL,
    cards_without_activation_enabled BOOLEAN NOT NULL,
    last_accessed_at                 TEXT,
    created_at                       TEXT NOT NULL,
    updated_at                       TEXT NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE logins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash     BLOB NOT NULL UNIQUE,        -- SHA-256 of the secret
    type            TEXT NOT NULL CHECK (type IN ('api', 'device')),
    name            TEXT,
    is_primary      BOOLEAN NOT NULL DEFAULT FALSE,
    expire          BOOLEAN NOT NULL DEFAULT TRUE,
    device_brand    TEXT,
    device_model    TEXT,
    os_name         TEXT,
    last_used_at    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX logins_user ON logins (user_id, organization_id, type);

CREATE TABLE places (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id   INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    search            TEXT NOT NULL,             -- lower-cased name, for `query`
    description       TEXT,
    address           TEXT NOT NULL,
    latitude          REAL,
    longitude         REAL,
    image             TEXT,
    time_zone         TEXT,
    locked_down       BOOLEAN NOT NULL DEFAULT FALSE,
    locked_down_since TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX places_organization ON places (organization_id, name);

CREATE TABLE favorites (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, object_type, object_id)
);

CREATE TABLE events (
    sequence              INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid                  TEXT NOT NULL UNIQUE,
    organization_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type                  TEXT NOT NULL,
    actor_type            TEXT,
    actor_id              INTEGER,
    actor_name            TEXT,
    actor_email           TEXT,
    authenticated_by_type TEXT,
    authenticated_by_id   INTEGER,
    object_type           TEXT NOT NULL,
    object_id             INTEGER NOT NULL,
    object_name           TEXT NOT NULL,
    place_id              INTEGER,
    success               BOOLEAN NOT NULL,
    error_code            TEXT,
    message               TEXT,
    details               TEXT NOT NULL DEFAULT '{}',
    created_at            TEXT NOT NULL
);
CREATE INDEX events_organization ON events (organization_id, sequence);
CREATE INDEX events_object ON events (organization_id, object_type, object_id);
