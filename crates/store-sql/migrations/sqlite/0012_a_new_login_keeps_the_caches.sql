-- A new login leaves the change generation where it is (migration 0010):
-- a node caches principals by their secret only once that secret has been
-- used, and keeps no record of a secret it did not find, so no cached entry
-- can depend on a login that did not exist yet. Signing in then no longer
-- empties every node's caches. Renaming, promoting and deleting a login
-- still move the generation (signing out must be enforced at once). Keep in
-- step with migrations/postgres/0012_a_new_login_keeps_the_caches.sql.

DROP TRIGGER logins_insert_changes;
