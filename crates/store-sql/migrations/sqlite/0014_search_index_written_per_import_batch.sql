-- An import writes the member search index (migration 0009) once per batch
-- instead of once per member. FTS5 writes its pending entries out as a new
-- segment at every savepoint, and SQLite opens one for every statement that
-- fires a trigger inside a transaction, so each imported member made a
-- segment of its own, and merging them grew with the index: 100,000 members
-- took 111 s to import instead of 18 (docs/benchmarks.md). While
-- `members_fts_deferred` holds a row, members with an id above its `after`
-- are left to the importer, which indexes them in one statement at the end
-- of its batch. Only the importing transaction ever sees that row: it
-- inserts and deletes it before committing (`IMPORT_BEGIN`/`IMPORT_END` in
-- src/sqlite.rs). PostgreSQL's index has no such cost and no such table.

CREATE TABLE members_fts_deferred (after INTEGER NOT NULL);

DROP TRIGGER members_fts_insert;
DROP TRIGGER members_fts_delete;
DROP TRIGGER members_fts_update;

CREATE TRIGGER members_fts_insert AFTER INSERT ON members
WHEN NOT EXISTS (SELECT 1 FROM members_fts_deferred) BEGIN
    INSERT INTO members_fts (rowid, search) VALUES (new.id, new.search);
END;
-- A member added in the deferred batch is not in the index yet.
CREATE TRIGGER members_fts_delete AFTER DELETE ON members
WHEN NOT EXISTS (SELECT 1 FROM members_fts_deferred WHERE old.id > after) BEGIN
    INSERT INTO members_fts (members_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER members_fts_update AFTER UPDATE OF search ON members
WHEN NOT EXISTS (SELECT 1 FROM members_fts_deferred WHERE old.id > after) BEGIN
    INSERT INTO members_fts (members_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO members_fts (rowid, search) VALUES (new.id, new.search);
END;
