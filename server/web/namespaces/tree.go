package namespaces

import (
	"cmp"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// item is one namespace of the tree the viewer can see.
type item struct {
	ID, Name, ParentID string
	// Depth counts the visible namespaces above this one: 0 for a namespace
	// whose parent the viewer cannot see (Global, for most viewers).
	Depth int
	// OwnsCluster marks the namespace of an added cluster.
	OwnsCluster bool
	// Path and Role are filled for the items a page shows, and
	// ClusterName when the namespace belongs to an added cluster.
	Path        string
	Role        store.Role
	ClusterName string
}

// node is an item with the children shown under it on one page.
type node struct {
	item
	// ShowPath says the parent is not on this page, so the page names the
	// whole path for the viewer to know where the namespace is.
	ShowPath bool
	Children []*node
}

// treeOrder lists the namespaces that visible keeps, each right after its
// parent and siblings by name. A namespace whose parent is not kept starts
// a tree of its own: a viewer granted a role on a deep namespace sees that
// subtree alone. The order is computed from parent links rather than from
// the paths' text, which names do not keep unambiguous.
func treeOrder(all []*store.Namespace, visible func(id string) bool) []item {
	kept := make(map[string]*store.Namespace, len(all))
	for _, ns := range all {
		if visible(ns.ID) {
			kept[ns.ID] = ns
		}
	}
	children := map[string][]*store.Namespace{}
	var roots []*store.Namespace
	for _, ns := range kept {
		if _, ok := kept[ns.NamespaceID]; ok && ns.NamespaceID != ns.ID {
			children[ns.NamespaceID] = append(children[ns.NamespaceID], ns)
		} else {
			roots = append(roots, ns)
		}
	}
	byName := func(a, b *store.Namespace) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)),
			strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	}
	slices.SortFunc(roots, byName)
	for _, c := range children {
		slices.SortFunc(c, byName)
	}
	out := make([]item, 0, len(kept))
	var walk func(ns *store.Namespace, depth int)
	walk = func(ns *store.Namespace, depth int) {
		out = append(out, item{ID: ns.ID, Name: ns.Name, ParentID: ns.NamespaceID, Depth: depth, OwnsCluster: ns.Cluster})
		for _, c := range children[ns.ID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

// matching keeps the items whose name contains q, ignoring case.
func matching(items []item, q string) []item {
	q = strings.ToLower(q)
	var out []item
	for _, it := range items {
		if strings.Contains(strings.ToLower(it.Name), q) {
			out = append(out, it)
		}
	}
	return out
}

// nest turns one page of items, in tree order, into the trees it shows:
// each item under its parent when the parent is on the page too.
func nest(page []item) []*node {
	byID := make(map[string]*node, len(page))
	var roots []*node
	for _, it := range page {
		n := &node{item: it}
		byID[it.ID] = n
		if p, ok := byID[it.ParentID]; ok {
			p.Children = append(p.Children, n)
			continue
		}
		n.ShowPath = it.ParentID != ""
		roots = append(roots, n)
	}
	return roots
}

// window is the part of n items a page of offset and limit shows.
func window(n, offset, limit int) (from, to int) {
	from = min(max(offset, 0), n)
	return from, min(from+limit, n)
}
