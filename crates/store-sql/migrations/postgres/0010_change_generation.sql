-- The change generation: a counter that every committed change to what a
-- node caches (credentials, members, their roles, groups, doors, places,
-- schedules, cards, links, readers) moves forward, in the same transaction
-- as the change. Each node compares it with the generation its caches were
-- filled at and drops them when it moved, so a change made through any node
-- is enforced by every node at once. Columns that record use, not access
-- (last_used_at, last_accessed_*), are left out so that using a credential
-- does not empty every cache. A column added to one of these tables later
-- must be added to its UPDATE OF list.
--
-- The counter moves once per transaction, at commit time (deferred
-- constraint triggers): the row is locked last and only while committing,
-- so writers never deadlock over it and a bulk write bumps it once.

CREATE TABLE change_generation (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO change_generation (id, value) VALUES (1, 0);

CREATE FUNCTION bump_change_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gatehouse.generation_bumped', true) IS DISTINCT FROM 'yes' THEN
        UPDATE change_generation SET value = value + 1 WHERE id = 1;
        PERFORM set_config('gatehouse.generation_bumped', 'yes', true);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER users_changes AFTER INSERT OR UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER organizations_changes AFTER INSERT OR UPDATE OR DELETE ON organizations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER places_changes AFTER INSERT OR UPDATE OR DELETE ON places
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER groups_changes AFTER INSERT OR UPDATE OR DELETE ON groups
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER teams_changes AFTER INSERT OR UPDATE OR DELETE ON teams
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER team_memberships_changes AFTER INSERT OR UPDATE OR DELETE ON team_memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER role_assignments_changes AFTER INSERT OR UPDATE OR DELETE ON role_assignments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER locks_changes AFTER INSERT OR UPDATE OR DELETE ON locks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER group_locks_changes AFTER INSERT OR UPDATE OR DELETE ON group_locks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER schedules_changes AFTER INSERT OR UPDATE OR DELETE ON schedules
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER card_assignments_changes AFTER INSERT OR UPDATE OR DELETE ON card_assignments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER readers_changes AFTER INSERT OR UPDATE OR DELETE ON readers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER members_changes AFTER INSERT OR UPDATE OF id, organization_id, user_id, name, image, notes, metadata, access_enabled, password_flow_enabled, link_enabled, app_enabled, card_enabled, cards_without_activation_enabled, search, created_at, updated_at OR DELETE ON members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER logins_changes AFTER INSERT OR UPDATE OF id, organization_id, user_id, secret_hash, type, name, is_primary, expire, device_brand, device_model, os_name, created_at, updated_at OR DELETE ON logins
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER cards_changes AFTER INSERT OR UPDATE OF id, organization_id, type, identity, token, uid, facility_code, card_number, created_at, updated_at OR DELETE ON cards
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();

CREATE CONSTRAINT TRIGGER group_links_changes AFTER INSERT OR UPDATE OF id, organization_id, group_id, name, search, email, phone, user_id, secret_hash, link_enabled, quick_response_code_type, valid_from, valid_until, created_by_id, created_at, updated_at OR DELETE ON group_links
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();
