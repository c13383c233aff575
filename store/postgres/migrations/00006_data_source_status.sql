-- +goose Up
-- What the fetcher of each external data source last found, one row per
-- data source, kept until the records it wrote are gone. Observed, not
-- desired: outside the version sequence and the activity log.
CREATE TABLE data_source_status (
    id     text  PRIMARY KEY,
    status bytea NOT NULL
);

-- +goose Down
DROP TABLE data_source_status;
