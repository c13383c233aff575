-- +goose Up
-- The counts of live objects per kind and namespace also sum their
-- versions, kept by the same trigger, which now also follows a write's new
-- version: a resync reads the sums of a few rows instead of summing every
-- entry of the covering index objects_index.

-- No write may fall between the summing and the trigger. objects is
-- locked first, as a writer's trigger takes objects before object_counts.
LOCK TABLE objects IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE object_counts ADD COLUMN IF NOT EXISTS versions bigint NOT NULL DEFAULT 0;

DELETE FROM object_counts;
INSERT INTO object_counts (kind, namespace_id, live, versions)
SELECT kind, namespace_id, count(*), sum(version) FROM objects WHERE NOT deleted GROUP BY kind, namespace_id;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION objects_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.kind = NEW.kind AND OLD.namespace_id = NEW.namespace_id AND OLD.deleted = NEW.deleted THEN
        IF NOT NEW.deleted AND OLD.version <> NEW.version THEN
            UPDATE object_counts SET versions = versions - OLD.version + NEW.version
            WHERE kind = NEW.kind AND namespace_id = NEW.namespace_id;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.deleted THEN
        UPDATE object_counts SET live = live - 1, versions = versions - OLD.version
        WHERE kind = OLD.kind AND namespace_id = OLD.namespace_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NOT NEW.deleted THEN
        INSERT INTO object_counts (kind, namespace_id, live, versions) VALUES (NEW.kind, NEW.namespace_id, 1, NEW.version)
        ON CONFLICT (kind, namespace_id) DO UPDATE SET live = object_counts.live + 1, versions = object_counts.versions + NEW.version;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP TRIGGER IF EXISTS objects_count ON objects;
CREATE TRIGGER objects_count AFTER INSERT OR DELETE OR UPDATE OF kind, namespace_id, deleted, version ON objects
FOR EACH ROW EXECUTE FUNCTION objects_count();

-- +goose Down
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
DROP TRIGGER objects_count ON objects;
CREATE TRIGGER objects_count AFTER INSERT OR DELETE OR UPDATE OF kind, namespace_id, deleted ON objects
FOR EACH ROW EXECUTE FUNCTION objects_count();
ALTER TABLE object_counts DROP COLUMN versions;
