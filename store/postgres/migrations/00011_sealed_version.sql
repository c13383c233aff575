-- +goose Up
-- Which secrets of route and settings data are sealed at rest
-- (store.SealedVersion): 0 = none, as earlier consoles wrote them; 1 =
-- every secret field of the specs. The store seals older rows once, when
-- it opens.
ALTER TABLE console_meta ADD COLUMN sealed_version integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE console_meta DROP COLUMN sealed_version;
