-- +goose Up
-- How many live objects of each kind each namespace holds, kept by
-- triggers in the transaction that changes objects: a list's total is the
-- sum of a few of these rows instead of a count of every matching index
-- entry (about 260 ms for a million routes). Applying it again (to a
-- database whose record of its migrations was rolled back) counts again.
CREATE TABLE IF NOT EXISTS object_counts (
    kind         text    NOT NULL,
    namespace_id text    NOT NULL,
    live         integer NOT NULL,
    PRIMARY KEY (kind, namespace_id)
) WITHOUT ROWID;

DELETE FROM object_counts;
INSERT INTO object_counts (kind, namespace_id, live)
SELECT kind, namespace_id, count(*) FROM objects WHERE NOT deleted GROUP BY kind, namespace_id;

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS objects_count_insert AFTER INSERT ON objects WHEN NOT NEW.deleted
BEGIN
    INSERT INTO object_counts (kind, namespace_id, live) VALUES (NEW.kind, NEW.namespace_id, 1)
    ON CONFLICT (kind, namespace_id) DO UPDATE SET live = live + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS objects_count_delete AFTER DELETE ON objects WHEN NOT OLD.deleted
BEGIN
    UPDATE object_counts SET live = live - 1 WHERE kind = OLD.kind AND namespace_id = OLD.namespace_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS objects_count_update AFTER UPDATE OF kind, namespace_id, deleted ON objects
WHEN OLD.kind IS NOT NEW.kind OR OLD.namespace_id IS NOT NEW.namespace_id OR OLD.deleted IS NOT NEW.deleted
BEGIN
    UPDATE object_counts SET live = live - 1
    WHERE NOT OLD.deleted AND kind = OLD.kind AND namespace_id = OLD.namespace_id;
    INSERT INTO object_counts (kind, namespace_id, live)
    SELECT NEW.kind, NEW.namespace_id, 1 WHERE NOT NEW.deleted
    ON CONFLICT (kind, namespace_id) DO UPDATE SET live = live + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER objects_count_update;
DROP TRIGGER objects_count_delete;
DROP TRIGGER objects_count_insert;
DROP TABLE object_counts;
