-- E-mailed sign-in and password-reset tokens, sign-in throttling, and
-- invitations (SQLite dialect). Keep in step with
-- migrations/postgres/0008_sign_in_and_invites.sql.

CREATE TABLE user_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('sign_in', 'password_reset')),
    token_hash      BLOB NOT NULL UNIQUE,        -- SHA-256 of the token
    expires_at      TEXT NOT NULL,
    used_at         TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- One row per throttled key: 'account:<domain>:<email>' or 'address:<ip>'.
CREATE TABLE sign_in_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until    TEXT
);

CREATE TABLE invites (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id    INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    notify             BOOLEAN NOT NULL,
    invites_to_type    TEXT NOT NULL CHECK (invites_to_type IN ('Place', 'Group', 'Team')),
    invites_to_id      INTEGER NOT NULL,
    invitee_type       TEXT NOT NULL CHECK (invitee_type IN ('User', 'Guest')),
    invitee_id         INTEGER NOT NULL,
    role_assignment_id INTEGER,
    team_membership_id INTEGER,
    group_link_id      INTEGER,
    created_by_id      INTEGER,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
