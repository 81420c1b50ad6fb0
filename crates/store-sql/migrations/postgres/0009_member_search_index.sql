-- Member search (`query`) is a substring match; a trigram index serves it
-- (PostgreSQL dialect, pg_trgm, a trusted extension: the database's owner
-- may create it). Keep in step with migrations/sqlite/0009_member_search_index.sql.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX members_search_trgm ON members USING gin (search gin_trgm_ops);
