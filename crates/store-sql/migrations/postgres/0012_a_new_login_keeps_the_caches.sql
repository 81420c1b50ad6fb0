-- A new login leaves the change generation where it is (migration 0010):
-- a node caches principals by their secret only once that secret has been
-- used, and keeps no record of a secret it did not find, so no cached entry
-- can depend on a login that did not exist yet. Signing in then no longer
-- empties every node's caches. Renaming, promoting and deleting a login
-- still move the generation (signing out must be enforced at once). Keep in
-- step with migrations/sqlite/0012_a_new_login_keeps_the_caches.sql.

DROP TRIGGER logins_changes ON logins;

CREATE CONSTRAINT TRIGGER logins_changes AFTER UPDATE OF id, organization_id, user_id, secret_hash, type, name, is_primary, expire, device_brand, device_model, os_name, created_at, updated_at OR DELETE ON logins
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_generation();
