-- Cards, card assignments, readers and quick access links (SQLite dialect).
-- Keep in step with migrations/postgres/0004_cards_readers_links.sql.

CREATE TABLE cards (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type             TEXT NOT NULL,
    -- What identifies the card to a reader: token, uid, or facility code
    -- and card number; one card per identity in an organization.
    identity         TEXT NOT NULL,
    token            TEXT,
    uid              TEXT,
    facility_code    INTEGER,
    card_number      INTEGER,
    last_used_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (organization_id, identity)
);

CREATE TABLE card_assignments (
    id                               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id                  INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    card_id                          INTEGER NOT NULL UNIQUE REFERENCES cards (id) ON DELETE CASCADE,
    user_id                          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status                           TEXT NOT NULL CHECK (status IN ('activated', 'deactivated')),
    two_factor_pin_hash              TEXT,          -- Argon2id of the PIN
    send_two_factor_pin_notification BOOLEAN NOT NULL DEFAULT FALSE,
    activation_token_hash            BLOB UNIQUE,   -- SHA-256 of the activation token
    created_by_id                    INTEGER,
    created_at                       TEXT NOT NULL,
    updated_at                       TEXT NOT NULL
);
CREATE INDEX card_assignments_user ON card_assignments (organization_id, user_id);

CREATE TABLE readers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lock_id         INTEGER NOT NULL REFERENCES locks (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    secret_hash     BLOB NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE group_links (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id          INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    group_id                 INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name                     TEXT NOT NULL,
    search                   TEXT NOT NULL,
    email                    TEXT,
    phone                    TEXT,
    -- The member the link was issued to (by e-mail), if any.
    user_id                  INTEGER REFERENCES users (id) ON DELETE CASCADE,
    secret_hash              BLOB NOT NULL UNIQUE,
    link_enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    quick_response_code_type TEXT,
    valid_from               TEXT,
    valid_until              TEXT,
    last_used_at             TEXT,
    created_by_id            INTEGER,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);
CREATE INDEX group_links_group ON group_links (organization_id, group_id);
