-- +goose Up
-- The routes that use a policy are read a page at a time in id order
-- (the web console's routes tab of a policy): this index gives a page
-- without reading and sorting every reference to the policy, a million of
-- them when every route uses it. It leads with the columns of
-- object_refs_to, which it replaces.
CREATE INDEX object_refs_to_from ON object_refs (to_kind, to_id, from_kind, from_id);
DROP INDEX object_refs_to;

-- +goose Down
CREATE INDEX object_refs_to ON object_refs (to_kind, to_id);
DROP INDEX object_refs_to_from;
