-- +goose Up
-- Lists of one kind in one namespace in name order (the default order of
-- every list of the API and the console) read a page from this index
-- instead of sorting the whole namespace.
CREATE INDEX objects_list_by_name ON objects (kind, namespace_id, name, id) WHERE NOT deleted;

-- +goose Down
DROP INDEX objects_list_by_name;
