-- Each node keeps every member's search text in memory (see
-- src/shared/search.rs), read up to a mark; rows written since are read
-- from the table at every search until the node reads them in. A row's
-- `search_version` tells which: the id of the transaction that last wrote
-- its text. The mark is the oldest transaction still running when a node
-- began to read (`txid_snapshot_xmin`): every transaction below it had
-- finished, so its rows were in what the node read, and every row at or
-- above it is read again. Keep in step with
-- migrations/sqlite/0016_member_search_versions.sql.

ALTER TABLE members ADD COLUMN search_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX members_search_version ON members (search_version);

CREATE FUNCTION stamp_member_search_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_version := txid_current();
    RETURN NEW;
END
$$;

CREATE TRIGGER members_search_version_insert BEFORE INSERT ON members
    FOR EACH ROW EXECUTE FUNCTION stamp_member_search_version();
CREATE TRIGGER members_search_version_update BEFORE UPDATE OF search ON members
    FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search)
    EXECUTE FUNCTION stamp_member_search_version();
