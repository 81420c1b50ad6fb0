-- Events are found by their object through an index in a file of its own
-- (`<database>-objects`), filled behind the writes: in this file every new
-- event put an entry on a random page of this index, and each unlock's
-- commit carried that page (see src/sqlite/objects.rs). PostgreSQL keeps
-- its index.
DROP INDEX events_object;
