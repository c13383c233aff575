-- +goose Up
-- A page of a list in the order of creation or of the last change, newest
-- or oldest first (the web console's Newest and Recently modified, the
-- APIs' created_at and modified_at orders), is read from these indexes
-- instead of sorting every object of the scope: at a million routes the
-- embedded store took 6 to 7 seconds for a page. One pair serves a
-- namespace, the other every namespace at once. deleted is in them for
-- SQLite, which reads a column the query names from the row unless the
-- index holds it; both stores keep the same indexes. Building them holds
-- writes to objects for their length: about 12 seconds at a million
-- routes on the embedded store.
CREATE INDEX objects_list_by_created ON objects (kind, namespace_id, created_at, id, deleted) WHERE NOT deleted;
CREATE INDEX objects_list_by_modified ON objects (kind, namespace_id, modified_at, id, deleted) WHERE NOT deleted;
CREATE INDEX objects_list_everywhere_by_created ON objects (kind, created_at, id, deleted) WHERE NOT deleted;
CREATE INDEX objects_list_everywhere_by_modified ON objects (kind, modified_at, id, deleted) WHERE NOT deleted;

-- +goose Down
DROP INDEX objects_list_everywhere_by_modified;
DROP INDEX objects_list_everywhere_by_created;
DROP INDEX objects_list_by_modified;
DROP INDEX objects_list_by_created;
