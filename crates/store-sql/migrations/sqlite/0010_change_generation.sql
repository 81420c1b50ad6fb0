-- The change generation: a counter that every committed change to what a
-- node caches (credentials, members, their roles, groups, doors, places,
-- schedules, cards, links, readers) moves forward, in the same transaction
-- as the change. Each node compares it with the generation its caches were
-- filled at and drops them when it moved, so a change made through any node
-- is enforced by every node at once. Columns that record use, not access
-- (last_used_at, last_accessed_*), are left out so that using a credential
-- does not empty every cache. A column added to one of these tables later
-- must be added to its UPDATE OF list.

CREATE TABLE change_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO change_generation (id, value) VALUES (1, 0);

CREATE TRIGGER users_insert_changes AFTER INSERT ON users
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER users_update_changes AFTER UPDATE ON users
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER users_delete_changes AFTER DELETE ON users
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER organizations_insert_changes AFTER INSERT ON organizations
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER organizations_update_changes AFTER UPDATE ON organizations
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER organizations_delete_changes AFTER DELETE ON organizations
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER places_insert_changes AFTER INSERT ON places
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER places_update_changes AFTER UPDATE ON places
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER places_delete_changes AFTER DELETE ON places
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER groups_insert_changes AFTER INSERT ON groups
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER groups_update_changes AFTER UPDATE ON groups
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER groups_delete_changes AFTER DELETE ON groups
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER teams_insert_changes AFTER INSERT ON teams
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER teams_update_changes AFTER UPDATE ON teams
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER teams_delete_changes AFTER DELETE ON teams
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER team_memberships_insert_changes AFTER INSERT ON team_memberships
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER team_memberships_update_changes AFTER UPDATE ON team_memberships
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER team_memberships_delete_changes AFTER DELETE ON team_memberships
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER role_assignments_insert_changes AFTER INSERT ON role_assignments
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER role_assignments_update_changes AFTER UPDATE ON role_assignments
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER role_assignments_delete_changes AFTER DELETE ON role_assignments
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER locks_insert_changes AFTER INSERT ON locks
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER locks_update_changes AFTER UPDATE ON locks
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER locks_delete_changes AFTER DELETE ON locks
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER group_locks_insert_changes AFTER INSERT ON group_locks
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER group_locks_update_changes AFTER UPDATE ON group_locks
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER group_locks_delete_changes AFTER DELETE ON group_locks
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER schedules_insert_changes AFTER INSERT ON schedules
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER schedules_update_changes AFTER UPDATE ON schedules
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER schedules_delete_changes AFTER DELETE ON schedules
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER card_assignments_insert_changes AFTER INSERT ON card_assignments
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER card_assignments_update_changes AFTER UPDATE ON card_assignments
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER card_assignments_delete_changes AFTER DELETE ON card_assignments
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER readers_insert_changes AFTER INSERT ON readers
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER readers_update_changes AFTER UPDATE ON readers
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER readers_delete_changes AFTER DELETE ON readers
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER members_insert_changes AFTER INSERT ON members
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER members_update_changes AFTER UPDATE OF id, organization_id, user_id, name, image, notes, metadata, access_enabled, password_flow_enabled, link_enabled, app_enabled, card_enabled, cards_without_activation_enabled, search, created_at, updated_at ON members
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER members_delete_changes AFTER DELETE ON members
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER logins_insert_changes AFTER INSERT ON logins
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER logins_update_changes AFTER UPDATE OF id, organization_id, user_id, secret_hash, type, name, is_primary, expire, device_brand, device_model, os_name, created_at, updated_at ON logins
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER logins_delete_changes AFTER DELETE ON logins
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER cards_insert_changes AFTER INSERT ON cards
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER cards_update_changes AFTER UPDATE OF id, organization_id, type, identity, token, uid, facility_code, card_number, created_at, updated_at ON cards
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER cards_delete_changes AFTER DELETE ON cards
BEGIN UPDATE change_generation SET value = value + 1; END;

CREATE TRIGGER group_links_insert_changes AFTER INSERT ON group_links
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER group_links_update_changes AFTER UPDATE OF id, organization_id, group_id, name, search, email, phone, user_id, secret_hash, link_enabled, quick_response_code_type, valid_from, valid_until, created_by_id, created_at, updated_at ON group_links
BEGIN UPDATE change_generation SET value = value + 1; END;
CREATE TRIGGER group_links_delete_changes AFTER DELETE ON group_links
BEGIN UPDATE change_generation SET value = value + 1; END;
