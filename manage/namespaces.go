package manage

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// Namespace is a namespace as a caller sees it, with the count of the
// routes and policies directly in it.
type Namespace struct {
	*store.Namespace
	RouteCount, PolicyCount int
	// ClusterID is the cluster everything in the namespace belongs to.
	ClusterID string
}

// NamespaceInput is a namespace to write: a create when its id is empty.
// Its NamespaceID is its parent.
type NamespaceInput struct {
	Namespace *store.Namespace
	// ExpectedVersion, when set, is the version the caller read: an object
	// at another version is not written (CodeConflict). Unset, the write is
	// pinned to the version the use case read.
	ExpectedVersion *int64
	// mirror: the namespace keeps the id it has at its source (Mirror).
	mirror bool
}

// GetNamespace reads a namespace the caller may view.
func (a *App) GetNamespace(ctx context.Context, c *Caller, id string) (*Namespace, error) {
	ns, err := get[*store.Namespace](ctx, a, c, "id", id)
	if err != nil {
		return nil, err
	}
	return a.namespaceView(ctx, c, ns)
}

// namespace checks the id of a namespace the caller may view.
func (a *App) namespace(c *Caller, id string) (string, error) {
	if !store.ValidID(id) {
		return "", invalid("id", "must be a UUID")
	}
	return id, c.require(View, id, "id")
}

// ListNamespaces reads every namespace the caller may view, in tree order
// of the store (parents before children, siblings by name).
func (a *App) ListNamespaces(ctx context.Context, c *Caller) ([]*Namespace, error) {
	all, err := a.store.List(ctx, store.KindNamespace, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	var out []*Namespace
	for _, ns := range objectsOf[*store.Namespace](all.Objects) {
		if !c.Sees(ns.ID) {
			continue
		}
		v, err := a.namespaceView(ctx, c, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ChildNamespaces reads a page of the namespaces directly below one the
// caller may view (recursive: every namespace below it), by name.
func (a *App) ChildNamespaces(ctx context.Context, c *Caller, id string, recursive bool, offset, limit int) (*Page[*store.Namespace], error) {
	if _, err := a.namespace(c, id); err != nil {
		return nil, err
	}
	if err := checkPage(offset, limit); err != nil {
		return nil, err
	}
	got, err := a.store.List(ctx, store.KindNamespace, store.ListQuery{NamespaceID: id, Recursive: recursive, Offset: offset, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("list the namespaces below %s: %w", id, err)
	}
	return &Page[*store.Namespace]{Items: objectsOf[*store.Namespace](got.Objects), Total: got.TotalCount}, nil
}

// SetNamespace creates, renames or moves a namespace: EditNamespaces in its
// parent (and, for a move, in the parent it leaves); renaming the Global
// namespace takes EditGlobalNamespace.
func (a *App) SetNamespace(ctx context.Context, c *Caller, in NamespaceInput) (*Namespace, error) {
	op, err := a.namespacePut(ctx, c, in)
	if err != nil {
		return nil, err
	}
	written, err := a.apply(ctx, c, op.Object, op)
	if err != nil {
		return nil, err
	}
	return a.namespaceView(ctx, c, written[0].(*store.Namespace))
}

// namespacePut checks a namespace to write and returns its write, pinned
// to the version of the stored namespace the decision was taken on.
func (a *App) namespacePut(ctx context.Context, c *Caller, in NamespaceInput) (*store.PutOp, error) {
	if in.Namespace == nil {
		return nil, invalid("", "a namespace is required")
	}
	ns := store.Clone(in.Namespace)
	op := &store.PutOp{Object: ns}
	ns.Cluster = false // only AddCluster makes a cluster's namespace
	if ns.ID == "" {
		ns.ID, op.CreateOnly = uuid.NewString(), true
	} else if old, found, err := prior[*store.Namespace](ctx, a, c, op, in.mirror); err != nil {
		return nil, err
	} else if found {
		if err := c.permit(namespaceScope(old)); err != nil {
			return nil, err
		}
		// A namespace's part in a cluster is the store's cluster rules'.
		ns.Cluster = old.Cluster
		if old.NamespaceID != ns.NamespaceID && !old.Cluster && c.Cluster(old.ID) != c.Cluster(ns.NamespaceID) {
			if err := c.crossing(old.ID, ns.NamespaceID); err != nil {
				return nil, err
			}
			if err := a.policiesStayWith(ctx, c, old.ID); err != nil {
				return nil, err
			}
		}
		if op.ExpectedVersion, err = pin(in.ExpectedVersion, old); err != nil {
			return nil, err
		}
	}
	if ns.ID != store.GlobalNamespaceID {
		if ns.NamespaceID == "" {
			return nil, invalid("namespace_id", "is required")
		}
		if !store.ValidID(ns.NamespaceID) {
			return nil, invalid("namespace_id", "must be the id of a namespace")
		}
		if err := c.require(EditNamespaces, ns.NamespaceID, "namespace_id"); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// DeleteNamespace deletes an empty namespace: EditNamespaces in its parent.
func (a *App) DeleteNamespace(ctx context.Context, c *Caller, id string) error {
	ns, err := get[*store.Namespace](ctx, a, c, "id", id)
	if err != nil {
		return err
	}
	if err := c.permit(namespaceScope(ns)); err != nil {
		return err
	}
	_, err = a.apply(ctx, c, ns, &store.DeleteOp{Kind: store.KindNamespace, ID: ns.ID, ExpectedVersion: ns.Version})
	return err
}

// Resource is an object held directly in a namespace.
type Resource struct {
	Kind     store.Kind
	ID, Name string
}

// resourceKinds are the kinds NamespaceResources reports.
var resourceKinds = []store.Kind{store.KindRoute, store.KindPolicy, store.KindKeyPair}

// NamespaceResources lists the routes, policies and key pairs held
// directly in namespaces the caller may view, namespace by namespace.
func (a *App) NamespaceResources(ctx context.Context, c *Caller, ids []string) ([]Resource, error) {
	var out []Resource
	for i, id := range ids {
		if _, err := a.namespace(c, id); err != nil {
			return nil, inList(withoutField(err), "ids", i)
		}
		for _, k := range resourceKinds {
			got, err := a.store.List(ctx, k, store.ListQuery{NamespaceID: id})
			if err != nil {
				return nil, fmt.Errorf("list the %ss of namespace %s: %w", k, id, err)
			}
			for _, o := range got.Objects {
				m := o.GetObjectMeta()
				out = append(out, Resource{Kind: k, ID: m.ID, Name: m.Name})
			}
		}
	}
	return out, nil
}

// withoutField drops the field of a refusal about a lone argument, so that
// inList names the element itself.
func withoutField(err error) error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.Field = ""
		return &c
	}
	return err
}

// namespaceView counts what a namespace holds directly and names its
// cluster (from its parent, which c's snapshot holds even for a namespace
// just created or moved).
func (a *App) namespaceView(ctx context.Context, c *Caller, ns *store.Namespace) (*Namespace, error) {
	out := &Namespace{Namespace: ns, ClusterID: store.DefaultClusterID}
	switch {
	case ns.Cluster:
		out.ClusterID = ns.ID
	case ns.NamespaceID != "":
		out.ClusterID = c.Cluster(ns.NamespaceID)
	}
	for _, k := range []struct {
		kind  store.Kind
		count *int
	}{{store.KindRoute, &out.RouteCount}, {store.KindPolicy, &out.PolicyCount}} {
		got, err := a.store.List(ctx, k.kind, store.ListQuery{NamespaceID: ns.ID, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("count the %ss of namespace %s: %w", k.kind, ns.ID, err)
		}
		*k.count = got.TotalCount
	}
	return out, nil
}
