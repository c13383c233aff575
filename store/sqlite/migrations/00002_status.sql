-- +goose Up
-- What the reconciler last found for each desired object. Written outside
-- the version sequence and the activity log: status is observed, not desired,
-- and writing it must not wake the reconciler that writes it.
CREATE TABLE object_status (
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

-- The reconciler's own health, one row per reconciler instance name.
CREATE TABLE reconciler_health (
    name   text  PRIMARY KEY,
    health blob NOT NULL
);

-- +goose Down
DROP TABLE reconciler_health;
DROP TABLE object_status;
