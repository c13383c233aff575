package manage

import (
	"context"
	"fmt"

	"github.com/pomerium-console/pomerium-console/store"
)

// ObjectQuery selects stored objects of one kind, for a surface that
// shows them as they are stored (lists, exports, pickers).
type ObjectQuery struct {
	ListQuery
	// Recursive widens Namespace to every namespace below it, which the
	// caller may view too: roles are inherited.
	Recursive bool
	// IDs restricts the objects to these. Without a Namespace, objects the
	// caller may not see are left out, as if they did not exist.
	IDs []string
}

// Objects reads a page of the objects of type T that q selects and the
// caller may see: those of a namespace it may view (and below), or those
// of q.IDs it may see.
func Objects[T store.Object](ctx context.Context, a *App, c *Caller, q ObjectQuery) (*Page[T], error) {
	var zero T
	if q.Namespace == "" && q.IDs != nil {
		return objectsByID[T](ctx, a, c, q)
	}
	sq, err := q.storeQuery(zero.Kind())
	if err != nil {
		return nil, err
	}
	if err := c.require(View, sq.NamespaceID, "namespace"); err != nil {
		return nil, err
	}
	sq.Recursive, sq.IDs = q.Recursive, q.IDs
	got, err := a.store.List(ctx, zero.Kind(), sq)
	if err != nil {
		return nil, fmt.Errorf("list %ss of namespace %s: %w", zero.Kind(), sq.NamespaceID, err)
	}
	return redactPage(c, &Page[T]{Items: objectsOf[T](got.Objects), Total: got.TotalCount, More: got.More}), nil
}

// redactPage clears the secrets of the items the caller may not read.
func redactPage[T store.Object](c *Caller, p *Page[T]) *Page[T] {
	for i, o := range p.Items {
		shown, hidden := redacted(c, store.Object(o))
		if len(hidden) == 0 {
			continue
		}
		p.Items[i] = shown.(T)
		if p.HiddenSecrets == nil {
			p.HiddenSecrets = map[string][]string{}
		}
		p.HiddenSecrets[o.GetObjectMeta().ID] = hidden
	}
	return p
}

// objectsByID reads the objects of q.IDs the caller may see.
func objectsByID[T store.Object](ctx context.Context, a *App, c *Caller, q ObjectQuery) (*Page[T], error) {
	var zero T
	if err := checkPage(q.Offset, q.Limit); err != nil {
		return nil, err
	}
	order, err := storeOrder(zero.Kind(), q.OrderBy)
	if err != nil {
		return nil, err
	}
	var valid []string
	for _, id := range q.IDs {
		if store.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return &Page[T]{}, nil
	}
	got, err := a.store.List(ctx, zero.Kind(), store.ListQuery{IDs: valid, Name: q.Name, Query: q.Query, OrderBy: order})
	if err != nil {
		return nil, fmt.Errorf("read %d %ss: %w", len(valid), zero.Kind(), err)
	}
	var seen []T
	for _, o := range objectsOf[T](got.Objects) {
		if c.Sees(home(o)) {
			seen = append(seen, o)
		}
	}
	return redactPage(c, &Page[T]{Items: window(seen, q.Offset, q.Limit), Total: len(seen)}), nil
}

// RoutesUsing returns a page of the ids of the routes that name a policy
// the caller may view in their policy_ids, in the store's order (by id),
// whether or not the caller may see each route (a surface shows those it
// may not as hidden), and how many there are, counted as q says.
func (a *App) RoutesUsing(ctx context.Context, c *Caller, policyID string, q store.PageQuery) (*store.IDPage, error) {
	if err := checkPage(q.Offset, q.Limit); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = MaxPage
	}
	if _, err := get[*store.Policy](ctx, a, c, "id", policyID); err != nil {
		return nil, err
	}
	page, err := a.store.ReferencingRoutesPage(ctx, policyID, q)
	if err != nil {
		return nil, fmt.Errorf("read the routes using policy %s: %w", policyID, err)
	}
	return page, nil
}
