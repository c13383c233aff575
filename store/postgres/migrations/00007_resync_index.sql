-- +goose Up
-- A resync reads the kind, id and version of every live object: from this
-- index alone, instead of every row with its data (at a million routes,
-- tens of megabytes instead of a gigabyte). deleted is in it for SQLite,
-- which reads a column the query names from the row unless the index holds
-- it.
CREATE INDEX objects_index ON objects (kind, id, version, deleted) WHERE NOT deleted;

-- +goose Down
DROP INDEX objects_index;
