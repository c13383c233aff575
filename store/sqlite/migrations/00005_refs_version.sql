-- +goose Up
-- Which references object_refs records: 0 = policies of routes; 1 = also
-- the key pairs of routes and settings. The store brings older rows up to
-- date once, when it opens.
ALTER TABLE console_meta ADD COLUMN refs_version integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE console_meta DROP COLUMN refs_version;
