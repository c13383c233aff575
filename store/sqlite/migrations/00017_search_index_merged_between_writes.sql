-- +goose Up
-- The search index's segments are merged between writes (the store's
-- checkpoints take a few pages at a time), not within the commit of the
-- write that crossed FTS5's mark: such a commit merged up to 64 pages for
-- each level of the index, and an edit waited for it.
INSERT INTO objects_search (objects_search, rank) VALUES ('automerge', 0);

-- +goose Down
INSERT INTO objects_search (objects_search, rank) VALUES ('automerge', 4);
