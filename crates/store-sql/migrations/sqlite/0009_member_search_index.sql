-- Member search (`query`) is a substring match; a trigram index serves it
-- (SQLite dialect, FTS5). Keep in step with migrations/postgres/0009_member_search_index.sql.

CREATE VIRTUAL TABLE members_fts USING fts5(search, content='members', content_rowid='id', tokenize='trigram');
INSERT INTO members_fts (rowid, search) SELECT id, search FROM members;

CREATE TRIGGER members_fts_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER members_fts_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_fts (members_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER members_fts_update AFTER UPDATE OF search ON members BEGIN
    INSERT INTO members_fts (members_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO members_fts (rowid, search) VALUES (new.id, new.search);
END;
