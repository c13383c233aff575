-- +goose Up
-- How many live objects of each kind each namespace holds, kept by a
-- trigger in the transaction that changes objects: a list's total is the
-- sum of a few of these rows instead of a count of every matching index
-- entry. (Writes of desired state are serialized by the version lock, so
-- the rows are not contended.) Applying it again (to a database whose
-- record of its migrations was rolled back) counts again.
CREATE TABLE IF NOT EXISTS object_counts (
    kind         text   NOT NULL,
    namespace_id text   NOT NULL,
    live         bigint NOT NULL,
    PRIMARY KEY (kind, namespace_id)
);

-- No write may fall between the counting and the trigger.
LOCK TABLE objects IN SHARE ROW EXCLUSIVE MODE;

DELETE FROM object_counts;
INSERT INTO object_counts (kind, namespace_id, live)
SELECT kind, namespace_id, count(*) FROM objects WHERE NOT deleted GROUP BY kind, namespace_id;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION objects_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.kind = NEW.kind AND OLD.namespace_id = NEW.namespace_id AND OLD.deleted = NEW.deleted THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.deleted THEN
        UPDATE object_counts SET live = live - 1 WHERE kind = OLD.kind AND namespace_id = OLD.namespace_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NOT NEW.deleted THEN
        INSERT INTO object_counts (kind, namespace_id, live) VALUES (NEW.kind, NEW.namespace_id, 1)
        ON CONFLICT (kind, namespace_id) DO UPDATE SET live = object_counts.live + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP TRIGGER IF EXISTS objects_count ON objects;
CREATE TRIGGER objects_count AFTER INSERT OR DELETE OR UPDATE OF kind, namespace_id, deleted ON objects
FOR EACH ROW EXECUTE FUNCTION objects_count();

-- +goose Down
DROP TRIGGER objects_count ON objects;
DROP FUNCTION objects_count();
DROP TABLE object_counts;
