package api

import (
	"context"
	"errors"

	"github.com/pomerium-console/pomerium-console/store"
)

// readVisible returns the object of type T with id, read for a caller who
// must be able to see it: at least viewer of its namespace. An object the
// caller may not see is NotFound, like one that does not exist, so that ids
// of others do not leak. field names the id in the request for an id that
// is not a UUID. What more than viewer a call needs, it asks with permit.
func readVisible[T store.Object](ctx context.Context, s *Server, a *access, field, id string) (T, error) {
	var zero T
	if !store.ValidID(id) {
		return zero, invalid(field, "must be a UUID")
	}
	obj, err := store.Get[T](ctx, s.store, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.can(obj.GetObjectMeta().NamespaceID, store.RoleViewer)) {
		return zero, notFound(zero.Kind(), id)
	}
	if err != nil {
		return zero, s.fail(ctx, err)
	}
	return obj, nil
}

// accessVisible is access then readVisible, for a call about one object.
func accessVisible[T store.Object](ctx context.Context, s *Server, field, id string) (*access, T, error) {
	a, err := s.access(ctx)
	if err != nil {
		var zero T
		return nil, zero, err
	}
	obj, err := readVisible[T](ctx, s, a, field, id)
	return a, obj, err
}
