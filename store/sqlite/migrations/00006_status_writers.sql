-- +goose Up
-- How many status writes each open store has made, under a name it picks
-- when it opens. PostgreSQL tells other processes of status writes with
-- NOTIFY; an embedded store learns of those of another process on the same
-- file by polling the other rows here, and ignores its own.
CREATE TABLE status_writers (
    writer     text    PRIMARY KEY,
    writes     integer NOT NULL,
    updated_at bigint  NOT NULL
);

-- +goose Down
DROP TABLE status_writers;
