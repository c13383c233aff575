-- +goose Up
-- A search of a list (a substring of the search text, at least three
-- characters long) reads this index of every three characters of each live
-- object's search text instead of every object of the scope, when the index
-- names fewer objects than the scope holds: a phrase of the query's
-- trigrams matches exactly the texts that hold the query. The
-- index keeps no copy of the text (content='') and files each object under
-- its row's number, so that a write that leaves the search text as it was
-- (most edits) leaves the index alone. Triggers keep it in the transaction
-- that changes objects; a restore's inserts go through them too, and the
-- store builds it again after a VACUUM, which may renumber rows. Applying
-- it again (to a database whose record of its migrations was rolled back)
-- indexes again.
CREATE VIRTUAL TABLE IF NOT EXISTS objects_search USING fts5(
    search, content='', contentless_delete=1, tokenize='trigram case_sensitive 1');

INSERT INTO objects_search (objects_search) VALUES ('delete-all');
INSERT INTO objects_search (rowid, search) SELECT rowid, search FROM objects WHERE NOT deleted;

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS objects_search_insert AFTER INSERT ON objects WHEN NOT NEW.deleted
BEGIN
    INSERT INTO objects_search (rowid, search) VALUES (NEW.rowid, NEW.search);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS objects_search_delete AFTER DELETE ON objects WHEN NOT OLD.deleted
BEGIN
    DELETE FROM objects_search WHERE rowid = OLD.rowid;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS objects_search_update AFTER UPDATE OF search, deleted ON objects
WHEN OLD.search IS NOT NEW.search OR OLD.deleted IS NOT NEW.deleted
BEGIN
    DELETE FROM objects_search WHERE NOT OLD.deleted AND rowid = OLD.rowid;
    INSERT INTO objects_search (rowid, search) SELECT NEW.rowid, NEW.search WHERE NOT NEW.deleted;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER objects_search_update;
DROP TRIGGER objects_search_delete;
DROP TRIGGER objects_search_insert;
DROP TABLE objects_search;
