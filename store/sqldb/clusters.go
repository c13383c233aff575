package sqldb

import (
	"context"
	"errors"

	"github.com/pomerium-console/pomerium-console/store"
)

// The rules of clusters. A cluster and its namespace share an id; the
// namespace carries Cluster. Clusters do not nest: no cluster's namespace
// is below another's. A cluster's settings bear its id and live in its
// namespace. A cluster is deleted in two steps: the first delete retires it
// (it gives its name up, and its namespace goes with everything below it),
// the second, once the reconciler removed its records from the databroker,
// deletes it for good.

// checkClusterRules checks the cluster rules a put of obj must keep.
func (w *writer) checkClusterRules(ctx context.Context, obj store.Object, prev store.Object) error {
	m := obj.GetObjectMeta()
	switch o := obj.(type) {
	case *store.Cluster:
		if prev != nil && prev.(*store.Cluster).Retiring {
			return store.NotFound(store.KindCluster, m.ID)
		}
		if o.Retiring && (prev == nil || !prev.(*store.Cluster).Retiring) {
			return store.Invalid(store.KindCluster, m.ID, "retiring", "is set by deleting the cluster")
		}
		ns, err := w.namespace(ctx, m.ID)
		if err != nil {
			return err
		}
		if ns == nil || !ns.Cluster {
			return store.Invalid(store.KindCluster, m.ID, "id", "namespace %s, which a cluster owns, does not exist or is not a cluster's", m.ID)
		}
	case *store.Namespace:
		was := prev != nil && prev.(*store.Namespace).Cluster
		switch {
		case was && !o.Cluster:
			return store.Invalid(store.KindNamespace, m.ID, "cluster", "the namespace of a cluster stays the cluster's until the cluster is deleted")
		case !was && o.Cluster && prev != nil:
			return store.Invalid(store.KindNamespace, m.ID, "cluster", "an existing namespace cannot become a cluster's: a cluster is added with a namespace of its own")
		}
		// No cluster below another: neither this namespace nor one
		// below it may be a cluster's when one above it is.
		above, err := w.clusterAbove(ctx, m.NamespaceID)
		if err != nil || above == "" {
			return err
		}
		if o.Cluster {
			return store.Invalid(store.KindNamespace, m.ID, "namespace_id", "namespace %s belongs to cluster %s: clusters do not nest", m.NamespaceID, above)
		}
		if prev != nil && prev.GetObjectMeta().NamespaceID != m.NamespaceID {
			subtree, err := w.db.subtree(ctx, w.tx, m.ID)
			if err != nil {
				return err
			}
			if inner, err := w.clusterAmong(ctx, subtree); err != nil || inner != "" {
				if err == nil {
					err = store.Invalid(store.KindNamespace, m.ID, "namespace_id", "namespace %s of cluster %s is below it, and namespace %s belongs to cluster %s: clusters do not nest", inner, inner, m.NamespaceID, above)
				}
				return err
			}
		}
	case *store.DataSource:
		return w.checkDataSource(ctx, o)
	case *store.Settings:
		if m.ID == store.SettingsID {
			return nil
		}
		ns, err := w.namespace(ctx, m.ID)
		if err != nil {
			return err
		}
		if ns == nil || !ns.Cluster {
			return store.Invalid(store.KindSettings, m.ID, "id", "settings other than the default cluster's (%s) bear the id of a cluster, and %s is none", store.SettingsID, m.ID)
		}
	}
	return nil
}

// checkDataSource keeps a data source in a cluster's namespace (the
// Global namespace for the default cluster's), with a key pair that exists.
func (w *writer) checkDataSource(ctx context.Context, d *store.DataSource) error {
	if d.NamespaceID != store.GlobalNamespaceID {
		ns, err := w.namespace(ctx, d.NamespaceID)
		if err != nil {
			return err
		}
		if ns == nil || !ns.Cluster {
			return store.Invalid(store.KindDataSource, d.ID, "namespace_id",
				"namespace %s is not a cluster's: a data source lives in its cluster's namespace (the Global namespace for the default cluster)", d.NamespaceID)
		}
	}
	if d.ClientTLSKeyID == "" {
		return nil
	}
	if _, err := w.load(ctx, store.KindKeyPair, d.ClientTLSKeyID); errors.Is(err, store.ErrNotFound) {
		return store.Invalid(store.KindDataSource, d.ID, "client_tls_key_id", "key pair %s does not exist", d.ClientTLSKeyID)
	} else if err != nil {
		return err
	}
	return nil
}

// namespace reads a live namespace; nil when there is none.
func (w *writer) namespace(ctx context.Context, id string) (*store.Namespace, error) {
	obj, err := w.load(ctx, store.KindNamespace, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return obj.(*store.Namespace), nil
}

// clusterAbove returns the id of the cluster whose namespace is id or above
// it; empty for the default cluster.
func (w *writer) clusterAbove(ctx context.Context, id string) (string, error) {
	ancestors, err := w.db.ancestors(ctx, w.tx, id)
	if err != nil {
		return "", err
	}
	return w.clusterAmong(ctx, ancestors)
}

// clusterAmong returns the first of the namespaces ids that is a cluster's;
// empty when none is.
func (w *writer) clusterAmong(ctx context.Context, ids []string) (string, error) {
	for _, id := range ids {
		ns, err := w.namespace(ctx, id)
		if err != nil {
			return "", err
		}
		if ns != nil && ns.Cluster {
			return id, nil
		}
	}
	return "", nil
}

// noLiveClusterIn refuses to delete namespaces (by cascade or not) among
// which is the namespace of a cluster that is not retiring: that takes
// deleting the cluster.
func (w *writer) noLiveClusterIn(ctx context.Context, namespaces []string) error {
	id, err := w.clusterAmong(ctx, namespaces)
	if err != nil || id == "" {
		return err
	}
	c, err := w.load(ctx, store.KindCluster, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.(*store.Cluster).Retiring {
		return store.Precondition(store.KindNamespace, id, "is the namespace of cluster %q; delete the cluster instead", c.GetObjectMeta().Name)
	}
	return nil
}

// deleteCluster retires a cluster (and deletes its namespace with
// everything below it), or deletes a retired one for good.
func (w *writer) deleteCluster(ctx context.Context, op *store.DeleteOp, actor store.Actor) error {
	prev, err := w.load(ctx, store.KindCluster, op.ID)
	if err != nil {
		return err
	}
	if err := checkExpected(op.Kind, op.ID, prev, op.ExpectedVersion); err != nil {
		return err
	}
	c := prev.(*store.Cluster)
	if c.Retiring {
		return w.tombstone(ctx, prev, actor)
	}
	retired := store.Clone(c)
	retired.Retiring = true
	// The secret stays: the reconciler needs it to reach the databroker
	// it removes the cluster's records from.
	if retired.SharedSecret, err = w.db.readSecret(ctx, w.tx, store.KindCluster, op.ID); err != nil {
		return err
	}
	if _, err := w.write(ctx, retired, prev, actor); err != nil {
		return err
	}
	ns, err := w.namespace(ctx, op.ID)
	if err != nil || ns == nil {
		return err
	}
	return w.deleteNamespace(ctx, ns, true, actor)
}
