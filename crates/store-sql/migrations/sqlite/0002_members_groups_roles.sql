-- Members, groups, teams and role assignments (SQLite dialect).
-- Keep in step with migrations/postgres/0002_members_groups_roles.sql.

ALTER TABLE members ADD COLUMN search TEXT NOT NULL DEFAULT '';   -- lower-cased name, e-mail, notes
UPDATE members SET search = (SELECT lower(users.name || ' ' || users.email) FROM users WHERE users.id = members.user_id);

CREATE TABLE groups (
    id                                 INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id                    INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    place_id                           INTEGER REFERENCES places (id) ON DELETE CASCADE,   -- NULL: organization-wide
    name                               TEXT NOT NULL,
    search                             TEXT NOT NULL,
    description                        TEXT,
    login_enabled                      BOOLEAN NOT NULL DEFAULT TRUE,
    geofence_restriction_enabled       BOOLEAN NOT NULL DEFAULT FALSE,
    geofence_restriction_radius        DOUBLE PRECISION NOT NULL DEFAULT 200,
    primary_device_restriction_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    managed_device_restriction_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    reader_restriction_enabled         BOOLEAN NOT NULL DEFAULT FALSE,
    time_restriction_enabled           BOOLEAN NOT NULL DEFAULT FALSE,
    tap_to_access_restriction_enabled  BOOLEAN NOT NULL DEFAULT FALSE,
    time_restriction_time_zone         TEXT,
    created_at                         TEXT NOT NULL,
    updated_at                         TEXT NOT NULL
);
CREATE INDEX groups_organization ON groups (organization_id, place_id);

CREATE TABLE teams (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    search          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE team_memberships (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id         INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (team_id, user_id)
);
CREATE INDEX team_memberships_user ON team_memberships (user_id);

-- One role per assignee and scope. `place_id` is the place the scope lies
-- in (the place itself, or a group's place), for scoped queries.
CREATE TABLE role_assignments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role_id         TEXT NOT NULL,
    applies_to_type TEXT NOT NULL CHECK (applies_to_type IN ('Organization', 'Place', 'Group', 'Team')),
    applies_to_id   INTEGER NOT NULL,
    place_id        INTEGER REFERENCES places (id) ON DELETE CASCADE,
    assignee_type   TEXT NOT NULL CHECK (assignee_type IN ('User', 'Team')),
    assignee_id     INTEGER NOT NULL,
    notify          BOOLEAN NOT NULL DEFAULT FALSE,
    valid_from      TEXT,
    valid_until     TEXT,
    created_by_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (organization_id, assignee_type, assignee_id, applies_to_type, applies_to_id)
);
CREATE INDEX role_assignments_assignee ON role_assignments (assignee_type, assignee_id);
CREATE INDEX role_assignments_scope ON role_assignments (organization_id, applies_to_type, applies_to_id);
