-- +goose Up
-- Statuses are stored in the order of their keys, without row numbers: the
-- reconciler writes a change's statuses in key order, so the rows of one
-- transaction are neighbours and a change of thousands of statuses writes
-- each page about once. In a table with row numbers the rows lie in the
-- order they were first written, and the key's index is a second tree
-- beside them. Applying it again (to a database whose record of its
-- migrations was rolled back) copies the rows again.
DROP TABLE IF EXISTS object_status_by_key;
CREATE TABLE object_status_by_key (
    kind           text   NOT NULL,
    id             text   NOT NULL,
    state          text   NOT NULL,
    object_version bigint NOT NULL,
    record_version bigint NOT NULL,
    reason         text   NOT NULL,
    field          text   NOT NULL,
    updated_at     bigint NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
INSERT INTO object_status_by_key (kind, id, state, object_version, record_version, reason, field, updated_at)
SELECT kind, id, state, object_version, record_version, reason, field, updated_at FROM object_status ORDER BY kind, id;
DROP TABLE object_status;
ALTER TABLE object_status_by_key RENAME TO object_status;

-- +goose Down
DROP TABLE IF EXISTS object_status_by_row;
CREATE TABLE object_status_by_row (
    kind           text   NOT NULL,
    id             text   NOT NULL,
    state          text   NOT NULL,
    object_version bigint NOT NULL,
    record_version bigint NOT NULL,
    reason         text   NOT NULL,
    field          text   NOT NULL,
    updated_at     bigint NOT NULL,
    PRIMARY KEY (kind, id)
);
INSERT INTO object_status_by_row (kind, id, state, object_version, record_version, reason, field, updated_at)
SELECT kind, id, state, object_version, record_version, reason, field, updated_at FROM object_status;
DROP TABLE object_status;
ALTER TABLE object_status_by_row RENAME TO object_status;
