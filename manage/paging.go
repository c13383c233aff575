package manage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// MaxPage bounds one page of a list.
const MaxPage = 1000

// ListQuery selects a page of the objects of one namespace (or of every
// namespace the caller may view).
type ListQuery struct {
	// Namespace is the namespace listed (input field "namespace").
	Namespace string
	// Everywhere lists the objects of every namespace the caller may view
	// instead of one; Namespace must then be empty.
	Everywhere bool
	// Name, when set, keeps the objects with exactly that name.
	Name string
	// Query is a case-insensitive substring of the name (and, for routes,
	// of from and to).
	Query string
	// OrderBy is one of name, created_at, modified_at, version, with "-"
	// in front for descending order, or one of the keywords newest, oldest
	// and (for routes) from; empty is name.
	OrderBy string
	// Offset and Limit select the page; a Limit of 0 is the largest page.
	Offset, Limit int
	// CountUpTo, when positive, lets the store stop counting a search at
	// that many objects or at the page's end, whichever is further (see
	// store.ListQuery): a screen need not count a million matches. The
	// APIs count every match.
	CountUpTo int
	// Match, when set, keeps the objects it accepts. The store cannot
	// apply it, so the whole scope is read and paged here.
	Match func(store.Object) bool
	// Cluster, when set, keeps the objects of one cluster (input field
	// "cluster_id"): the namespace listed must belong to it.
	Cluster string
}

// Page is a page of a list and the count of everything the query matches.
type Page[T any] struct {
	Items []T
	Total int
	// More says that more objects match than Total, where the query's
	// CountUpTo stopped the count.
	More bool
	// HiddenSecrets names, by object id, the secret fields of the items
	// that held a value the caller may not read, and that are cleared.
	HiddenSecrets map[string][]string
}

// orders are the orders a list may take, as the store names them.
var orders = map[string]bool{
	"": true, "name": true, "-name": true, "created_at": true, "-created_at": true,
	"modified_at": true, "-modified_at": true, "version": true, "-version": true,
}

// orderKeywords are the orders clients of the Enterprise API name by
// keyword, and the store's order each means.
var orderKeywords = map[string]string{"newest": "-created_at", "oldest": "created_at"}

// byFrom orders routes by their from URL, which the store does not index:
// such a list is sorted here.
const byFrom = "from"

// orderHelp lists the orders a list accepts, for a refusal.
const orderHelp = "is not one of name, created_at, modified_at, version (with - for descending), newest, oldest or, for routes, from"

// storeOrder is the store's name of the order a client asked for.
func storeOrder(k store.Kind, orderBy string) (string, error) {
	if o, ok := orderKeywords[orderBy]; ok {
		return o, nil
	}
	if orderBy == byFrom && k == store.KindRoute {
		return orderBy, nil
	}
	if !orders[orderBy] {
		return "", invalid("order_by", "%q %s", orderBy, orderHelp)
	}
	return orderBy, nil
}

// storeQuery checks the paging of q, a list of objects of kind k.
func (q ListQuery) storeQuery(k store.Kind) (store.ListQuery, error) {
	out := store.ListQuery{NamespaceID: q.Namespace, Name: q.Name, Query: q.Query, Offset: q.Offset, Limit: q.Limit, CountUpTo: q.CountUpTo}
	if err := checkPage(q.Offset, q.Limit); err != nil {
		return out, err
	}
	if out.Limit == 0 {
		out.Limit = MaxPage
	}
	var err error
	if out.OrderBy, err = storeOrder(k, q.OrderBy); err != nil {
		return out, err
	}
	switch {
	case q.Everywhere && q.Namespace != "":
		return out, invalid("namespace", "must be empty when listing every namespace")
	case !q.Everywhere && !store.ValidID(q.Namespace):
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
// caller who may view it (or, Everywhere, in the namespaces it may view).
func list[T store.Object](ctx context.Context, a *App, c *Caller, k store.Kind, q ListQuery) (*Page[T], error) {
	sq, err := q.storeQuery(k)
	if err != nil {
		return nil, err
	}
	if !q.Everywhere {
		if err := c.require(View, sq.NamespaceID, "namespace"); err != nil {
			return nil, err
		}
	}
	if q, sq, err = c.inCluster(q, sq); err != nil {
		return nil, err
	}
	if q.Match != nil || sq.OrderBy == byFrom || (q.Everywhere && !c.Sees(store.GlobalNamespaceID)) {
		return listHere[T](ctx, a, c, k, q, sq)
	}
	got, err := a.store.List(ctx, k, sq)
	if err != nil {
		return nil, fmt.Errorf("list %ss of namespace %s: %w", k, sq.NamespaceID, err)
	}
	return &Page[T]{Items: objectsOf[T](got.Objects), Total: got.TotalCount, More: got.More}, nil
}

// inCluster narrows a list to the objects of the cluster q names.
func (c *Caller) inCluster(q ListQuery, sq store.ListQuery) (ListQuery, store.ListQuery, error) {
	if q.Cluster == "" {
		return q, sq, nil
	}
	// The namespace listed (none when listing everywhere) must be the
	// cluster's; the caller may view it, which the list checked.
	cluster, err := c.ClusterWith("cluster_id", q.Cluster, "namespace", sq.NamespaceID)
	if err != nil {
		return q, sq, err
	}
	switch {
	case !q.Everywhere:
		// The namespace decides.
	case cluster != store.DefaultClusterID:
		sq.NamespaceID, sq.Recursive = cluster, true
	case c.snap.HasClusters():
		match := q.Match
		q.Match = func(o store.Object) bool {
			return c.Cluster(home(o)) == store.DefaultClusterID && (match == nil || match(o))
		}
	}
	return q, sq, nil
}

// listHere reads the whole scope of q and selects, orders and pages it
// here: for what the store cannot do (a Match, the order by from, the
// namespaces one caller may view).
func listHere[T store.Object](ctx context.Context, a *App, c *Caller, k store.Kind, q ListQuery, sq store.ListQuery) (*Page[T], error) {
	offset, limit := sq.Offset, sq.Limit
	sq.Offset, sq.Limit = 0, 0
	fromOrder := sq.OrderBy == byFrom
	if fromOrder {
		sq.OrderBy = ""
	}
	got, err := a.store.List(ctx, k, sq)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", k, err)
	}
	var kept []T
	for _, o := range objectsOf[T](got.Objects) {
		if c.Sees(home(o)) && (q.Match == nil || q.Match(o)) {
			kept = append(kept, o)
		}
	}
	if fromOrder {
		slices.SortStableFunc(kept, func(x, y T) int {
			return strings.Compare(fromOf(x), fromOf(y))
		})
	}
	return &Page[T]{Items: window(kept, offset, limit), Total: len(kept)}, nil
}

// fromOf is the from URL of a route; "" for any other object.
func fromOf(o store.Object) string {
	if r, ok := o.(*store.Route); ok {
		return r.Spec.GetFrom()
	}
	return ""
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
