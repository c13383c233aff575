-- +goose Up
-- The request keys of the last day (store.RequestKeyRetention): a write
-- sent again under the same key is answered from here instead of being
-- applied twice. objects lists the kind and id of each object the write
-- wrote, in the order of its operations (null for a delete), as JSON.
CREATE TABLE request_keys (
    subject    text   NOT NULL,
    key        text   NOT NULL,
    digest     blob   NOT NULL,
    objects    text   NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (subject, key)
);
CREATE INDEX request_keys_created_at ON request_keys (created_at);

-- +goose Down
DROP TABLE request_keys;
