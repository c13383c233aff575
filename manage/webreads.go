package manage

import (
	"context"
	"fmt"

	"github.com/pomerium-console/pomerium-console/store"
)

// NamespaceTree reads every namespace the caller may view, as they are
// stored, in the store's order: what a surface that draws the tree needs,
// without the counts ListNamespaces reads for each namespace (two reads a
// namespace that the tree does not show).
func (a *App) NamespaceTree(ctx context.Context, c *Caller) ([]*store.Namespace, error) {
	all, err := a.store.List(ctx, store.KindNamespace, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	var out []*store.Namespace
	for _, ns := range objectsOf[*store.Namespace](all.Objects) {
		if c.Sees(ns.ID) {
			out = append(out, ns)
		}
	}
	return out, nil
}
