package manage

import (
	"context"
	"fmt"

	"github.com/pomerium-console/pomerium-console/store"
)

// MaxPage bounds one page of a list.
const MaxPage = 1000

// ListQuery selects a page of the objects of one namespace.
type ListQuery struct {
	// Namespace is the namespace listed (input field "namespace").
	Namespace string
	// Query is a case-insensitive substring of the name (and, for routes,
	// of from and to).
	Query string
	// OrderBy is one of name, created_at, modified_at, version, with "-"
	// in front for descending order; empty is name.
	OrderBy string
	// Offset and Limit select the page; a Limit of 0 is the largest page.
	Offset, Limit int
}

// Page is a page of a list and the count of everything the query matches.
type Page[T any] struct {
	Items []T
	Total int
	// HiddenSecrets names, by object id, the secret fields of the items
	// that held a value the caller may not read, and that are cleared.
	HiddenSecrets map[string][]string
}

// orders are the orders a list may take.
var orders = map[string]bool{
	"": true, "name": true, "-name": true, "created_at": true, "-created_at": true,
	"modified_at": true, "-modified_at": true, "version": true, "-version": true,
}

// storeQuery checks the paging of q.
func (q ListQuery) storeQuery() (store.ListQuery, error) {
	out := store.ListQuery{NamespaceID: q.Namespace, Query: q.Query, OrderBy: q.OrderBy, Offset: q.Offset, Limit: q.Limit}
	if err := checkPage(q.Offset, q.Limit); err != nil {
		return out, err
	}
	if out.Limit == 0 {
		out.Limit = MaxPage
	}
	if !orders[q.OrderBy] {
		return out, invalid("order_by", "%q is not one of name, created_at, modified_at, version (with - for descending)", q.OrderBy)
	}
	if !store.ValidID(q.Namespace) {
		return out, invalid("namespace", "must be the id of a namespace")
	}
	return out, nil
}

// checkPage checks an offset and a limit.
func checkPage(offset, limit int) error {
	switch {
	case offset < 0:
		return invalid("offset", "must not be negative")
	case limit < 0 || limit > MaxPage:
		return invalid("limit", "must be between 0 and %d", MaxPage)
	}
	return nil
}

// list reads a page of the objects of kind k in the namespace of q, for a
// caller who may view it.
func list[T store.Object](ctx context.Context, a *App, c *Caller, k store.Kind, q ListQuery) (*Page[T], error) {
	sq, err := q.storeQuery()
	if err != nil {
		return nil, err
	}
	if err := c.require(View, sq.NamespaceID, "namespace"); err != nil {
		return nil, err
	}
	got, err := a.store.List(ctx, k, sq)
	if err != nil {
		return nil, fmt.Errorf("list %ss of namespace %s: %w", k, sq.NamespaceID, err)
	}
	return &Page[T]{Items: objectsOf[T](got.Objects), Total: got.TotalCount}, nil
}

// window is the page of all that offset and limit select (0: no limit).
func window[T any](all []T, offset, limit int) []T {
	start := min(offset, len(all))
	end := len(all)
	if limit > 0 {
		end = min(start+limit, len(all))
	}
	return all[start:end]
}
