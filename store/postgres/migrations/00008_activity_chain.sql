-- +goose Up
-- The activity log as a hash chain (store/chain.go): each entry's position
-- (seq, from 1 without a gap, in commit order) and the hashes linking it to
-- the entry before. activity_chain holds the chain's head, advanced in the
-- transaction that appends, under the write lock every write takes.
-- Entries written before this migration have no position yet: the store
-- chains them in the order of their ids when it first opens, up to
-- legacy_through, the last of them. An entry without a position after that
-- was not appended by the store, and verification names it.
ALTER TABLE activity ADD COLUMN seq bigint;
ALTER TABLE activity ADD COLUMN prev_hash bytea;
ALTER TABLE activity ADD COLUMN hash bytea;
CREATE UNIQUE INDEX activity_seq ON activity (seq);
CREATE INDEX activity_unchained ON activity (id) WHERE seq IS NULL;
CREATE TABLE activity_chain (
    id             integer PRIMARY KEY CHECK (id = 1),
    seq            bigint  NOT NULL,
    entry_id       bigint  NOT NULL,
    hash           bytea   NOT NULL,
    legacy_through bigint  NOT NULL
);
INSERT INTO activity_chain (id, seq, entry_id, hash, legacy_through)
    SELECT 1, 0, 0, decode(repeat('00', 32), 'hex'), COALESCE(max(id), 0) FROM activity;

-- +goose Down
DROP TABLE activity_chain;
DROP INDEX activity_unchained;
DROP INDEX activity_seq;
ALTER TABLE activity DROP COLUMN hash;
ALTER TABLE activity DROP COLUMN prev_hash;
ALTER TABLE activity DROP COLUMN seq;
