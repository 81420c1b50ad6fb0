-- Each node keeps every member's search text in memory (see
-- src/shared/search.rs), read up to a mark; rows written since are read
-- from the table at every search until the node reads them in. A row's
-- `search_version` tells which: the change generation (migration 0010),
-- moved forward for it, when its text was last written. SQLite writes one
-- transaction at a time, so a generation read before the rows are read
-- covers every row stamped at or below it, and the mark is the next one.
-- Keep in step with migrations/postgres/0014_member_search_versions.sql.

ALTER TABLE members ADD COLUMN search_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX members_search_version ON members (search_version);

CREATE TRIGGER members_search_version_insert AFTER INSERT ON members BEGIN
    UPDATE change_generation SET value = value + 1 WHERE id = 1;
    UPDATE members SET search_version = (SELECT value FROM change_generation WHERE id = 1)
    WHERE id = new.id;
END;
CREATE TRIGGER members_search_version_update AFTER UPDATE OF search ON members
WHEN old.search IS NOT new.search BEGIN
    UPDATE change_generation SET value = value + 1 WHERE id = 1;
    UPDATE members SET search_version = (SELECT value FROM change_generation WHERE id = 1)
    WHERE id = new.id;
END;
