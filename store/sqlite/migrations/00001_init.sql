-- +goose Up
-- One row holds the store-wide version sequence. Writers lock it first, so
-- versions commit in order (a sequence would hand out numbers that commit
-- out of order, and a reader asking for "everything after N" would miss some).
CREATE TABLE console_meta (
    id        integer PRIMARY KEY CHECK (id = 1),
    version   bigint  NOT NULL,
    key_check blob
);
INSERT INTO console_meta (id, version) VALUES (1, 0);

-- Every kind of desired state. Deleted objects stay as tombstones so that
-- readers of changes learn of deletions.
CREATE TABLE objects (
    kind         text    NOT NULL,
    id           text    NOT NULL,
    namespace_id text    NOT NULL,
    name         text    NOT NULL,
    unique_key   text    NOT NULL,
    search       text    NOT NULL,
    origin       text    NOT NULL,
    origin_ref   text    NOT NULL,
    version      bigint  NOT NULL,
    created_at   bigint  NOT NULL,
    modified_at  bigint  NOT NULL,
    deleted      integer NOT NULL,
    data         blob   NOT NULL,
    secret       blob,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX objects_unique_key ON objects (kind, namespace_id, unique_key) WHERE NOT deleted;
CREATE UNIQUE INDEX objects_version ON objects (version);
CREATE INDEX objects_namespace ON objects (namespace_id, kind) WHERE NOT deleted;

CREATE TABLE object_refs (
    from_kind text NOT NULL,
    from_id   text NOT NULL,
    to_kind   text NOT NULL,
    to_id     text NOT NULL,
    PRIMARY KEY (from_kind, from_id, to_kind, to_id)
);
CREATE INDEX object_refs_to ON object_refs (to_kind, to_id);

CREATE TABLE activity (
    id           integer PRIMARY KEY AUTOINCREMENT,
    version      bigint  NOT NULL,
    at           bigint  NOT NULL,
    subject      text    NOT NULL,
    origin       text    NOT NULL,
    action       text    NOT NULL,
    entity_type  text    NOT NULL,
    entity_id    text    NOT NULL,
    entity_name  text    NOT NULL,
    namespace_id text    NOT NULL,
    snapshot     text    NOT NULL,
    diff         text    NOT NULL,
    added        integer NOT NULL,
    removed      integer NOT NULL
);
CREATE INDEX activity_entity ON activity (entity_type, entity_id, id);
CREATE INDEX activity_namespace ON activity (namespace_id, id);
CREATE INDEX activity_subject ON activity (subject, id);
CREATE INDEX activity_at ON activity (at);

-- +goose Down
DROP TABLE activity;
DROP TABLE object_refs;
DROP TABLE objects;
DROP TABLE console_meta;
