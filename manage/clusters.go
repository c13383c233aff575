package manage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// Cluster is a cluster as a caller sees it: never with its shared secret.
type Cluster struct {
	*store.Cluster
	// Default marks the default cluster, which the configuration names:
	// it is not stored and cannot be changed or deleted here.
	Default bool
	// Health is what its reconciler last reported; nil before it did.
	Health *store.Health
}

// ClusterInput is a cluster to add or change.
type ClusterInput struct {
	// Cluster holds the fields to write. On change, an empty shared
	// secret keeps the stored one.
	Cluster *store.Cluster
	// ParentNamespaceID is where a new cluster's namespace goes; empty:
	// the Global namespace. It must belong to the default cluster.
	ParentNamespaceID string
	// ExpectedVersion, when set, is the version the caller read.
	ExpectedVersion *int64
}

// ClusterID checks the id of a cluster the caller names, where field
// names the input: empty is the default cluster; a cluster that does not
// exist, or whose namespace the caller may not see, is not found.
func (c *Caller) ClusterID(field, id string) (string, error) {
	if id == "" || id == store.DefaultClusterID {
		return store.DefaultClusterID, nil
	}
	if !store.ValidID(id) {
		return "", invalid(field, "must be the id of a cluster (a UUID), or empty for the default cluster")
	}
	if !c.snap.IsCluster(id) || !c.Sees(id) {
		return "", Refuse(CodeNotFound, field, "cluster %s not found", id)
	}
	return id, nil
}

// ClusterByName finds a cluster the caller may see by its name (without
// regard to case) or its id; empty, or "default", is the default cluster.
// field names the input.
func (a *App) ClusterByName(ctx context.Context, c *Caller, field, ref string) (string, error) {
	if ref == "" || strings.EqualFold(ref, store.DefaultClusterName) {
		return store.DefaultClusterID, nil
	}
	if store.ValidID(ref) {
		return c.ClusterID(field, ref)
	}
	all, err := a.storedClusters(ctx)
	if err != nil {
		return "", err
	}
	for _, cl := range all {
		if !cl.Retiring && strings.EqualFold(cl.Name, ref) && c.Sees(cl.ID) {
			return cl.ID, nil
		}
	}
	return "", Refuse(CodeNotFound, field, "no cluster named %q", ref)
}

// InCluster refuses a namespace (named by field) that does not belong to
// a cluster the caller named (clusterField, clusterID): objects of one
// cluster are never read or written through another.
func (c *Caller) InCluster(clusterField, clusterID, field, namespaceID string) error {
	if clusterID == "" || namespaceID == "" {
		return nil
	}
	_, err := c.ClusterWith(clusterField, clusterID, field, namespaceID)
	return err
}

// ClusterWith checks the id of a cluster as ClusterID does, and that the
// namespace named by field, if any, belongs to it; it returns the cluster.
func (c *Caller) ClusterWith(clusterField, clusterID, field, namespaceID string) (string, error) {
	cluster, err := c.ClusterID(clusterField, clusterID)
	if err != nil || namespaceID == "" {
		return cluster, err
	}
	if got := c.Cluster(namespaceID); got != cluster && c.Sees(namespaceID) {
		return "", invalid(field, "namespace %s belongs to cluster %s, not to cluster %s", namespaceID, got, cluster)
	}
	return cluster, nil
}

// databrokerFree refuses a cluster whose databroker another cluster (the
// default one, or one being deleted) writes to: two loops would take each
// other's records for their own and delete them.
func (a *App) databrokerFree(ctx context.Context, cl *store.Cluster) error {
	want := sameDatabroker(cl.DatabrokerServiceURL)
	if want == "" {
		return nil // the store refuses it, naming why
	}
	if want == sameDatabroker(a.defaultURL) {
		return Refuse(CodeAlreadyExists, "cluster.databroker_service_url", "is the default cluster's databroker")
	}
	all, err := a.storedClusters(ctx)
	if err != nil {
		return err
	}
	for _, other := range all {
		if other.ID == cl.ID || sameDatabroker(other.DatabrokerServiceURL) != want {
			continue
		}
		if other.Retiring {
			return Refuse(CodeFailedPrecondition, "cluster.databroker_service_url",
				"cluster %q, being deleted, is still removing its records from that databroker; try again once it is gone", other.Name)
		}
		return Refuse(CodeAlreadyExists, "cluster.databroker_service_url", "is the databroker of cluster %q", other.Name)
	}
	return nil
}

// sameDatabroker is a databroker URL in one form: scheme and host in lower
// case, the port always given; "" for what is no URL.
func sameDatabroker(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// crossing refuses a move of an object from namespace from to namespace
// to that changes its cluster, unless the caller may MoveBetweenClusters
// in both clusters' namespaces: the move takes its records out of one
// Pomerium and into another.
func (c *Caller) crossing(from, to string) error {
	a, b := c.Cluster(from), c.Cluster(to)
	if a == b {
		return nil
	}
	for _, cluster := range []string{a, b} {
		if !c.May(MoveBetweenClusters, cluster) {
			return Refuse(CodePermissionDenied, "", "%s may not move objects from cluster %s to cluster %s: that takes admin of both clusters' namespaces", c.Subject, a, b)
		}
	}
	return nil
}

// reachable refuses a reference (named by field) from an object of
// cluster to one in namespace ns of another cluster, unless ns is above the
// cluster's namespace: each cluster's databroker holds its own objects and
// the policies above it, nothing of other clusters.
func (c *Caller) reachable(field, what, id, ns, cluster string) error {
	owner := c.Cluster(ns)
	if owner == cluster || cluster != store.DefaultClusterID && slices.Contains(c.Ancestry(cluster)[1:], ns) {
		return nil
	}
	return invalid(field, "%s %s belongs to cluster %s; objects of cluster %s may use those of their cluster and of the namespaces above it", what, id, owner, cluster)
}

// policiesStayInReach refuses a move that would leave a route naming a
// policy out of its cluster's reach: the route would keep its last record,
// which names a policy its databroker no longer holds, and Pomerium serves
// such a route without that policy. to gives each policy's namespace after
// the move; the routes' namespaces are as c's snapshot has them.
func (a *App) policiesStayInReach(ctx context.Context, c *Caller, policies []string, to func(policyID string) string) error {
	for _, id := range policies {
		err := a.routesUsing(ctx, id, func(r *store.Route) error {
			if c.reachable("namespace_id", "policy", id, to(id), c.Cluster(r.NamespaceID)) != nil {
				return Refuse(CodeFailedPrecondition, "namespace_id",
					"route %s of cluster %s uses policy %s, which the move takes out of that cluster's reach; remove it from the route first", r.ID, c.Cluster(r.NamespaceID), id)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// routesUsing calls fn with every route that names a policy, until fn
// fails.
func (a *App) routesUsing(ctx context.Context, policyID string, fn func(*store.Route) error) error {
	users, err := a.store.ReferencingRoutes(ctx, policyID)
	if err != nil {
		return fmt.Errorf("read the routes using policy %s: %w", policyID, err)
	}
	for start := 0; start < len(users); start += 500 {
		page, err := a.store.List(ctx, store.KindRoute, store.ListQuery{IDs: users[start:min(start+500, len(users))]})
		if err != nil {
			return fmt.Errorf("read the routes using policy %s: %w", policyID, err)
		}
		for _, r := range objectsOf[*store.Route](page.Objects) {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// policiesStayWith refuses to move a namespace to another cluster while a
// route outside it uses a policy in or below it: that route would keep its
// last record, naming a policy its cluster's databroker no longer holds.
func (a *App) policiesStayWith(ctx context.Context, c *Caller, namespaceID string) error {
	policies, err := a.store.List(ctx, store.KindPolicy, store.ListQuery{NamespaceID: namespaceID, Recursive: true})
	if err != nil {
		return fmt.Errorf("list the policies below namespace %s: %w", namespaceID, err)
	}
	for _, p := range objectsOf[*store.Policy](policies.Objects) {
		err := a.routesUsing(ctx, p.ID, func(r *store.Route) error {
			if !slices.Contains(c.Ancestry(r.NamespaceID), namespaceID) {
				return Refuse(CodeFailedPrecondition, "namespace_id",
					"route %s outside the namespace uses its policy %s, which would go to another cluster; remove it from the route first", r.ID, p.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ListClusters reads the default cluster and every cluster whose namespace
// the caller may see, by name after the default.
func (a *App) ListClusters(ctx context.Context, c *Caller) ([]*Cluster, error) {
	all, health, err := a.clustersWithHealth(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Cluster
	if c.Sees(store.GlobalNamespaceID) {
		out = append(out, a.defaultCluster(health))
	}
	for _, cl := range all {
		if cl.Retiring || !c.Sees(cl.ID) {
			continue
		}
		v, err := a.clusterView(ctx, cl, health)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// RetiringClusters reads the deleted clusters whose records the
// reconciler is still removing: Global admins only.
func (a *App) RetiringClusters(ctx context.Context, c *Caller) ([]*Cluster, error) {
	if !c.May(ManageClusters, store.GlobalNamespaceID) {
		return nil, nil
	}
	all, health, err := a.clustersWithHealth(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Cluster
	for _, cl := range all {
		if cl.Retiring {
			out = append(out, &Cluster{Cluster: cl, Health: health[cl.ID]})
		}
	}
	return out, nil
}

// storedClusters reads every stored cluster, retiring ones too, by name.
func (a *App) storedClusters(ctx context.Context) ([]*store.Cluster, error) {
	res, err := a.store.List(ctx, store.KindCluster, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	return objectsOf[*store.Cluster](res.Objects), nil
}

// clustersWithHealth reads every stored cluster and every reconciler's
// health.
func (a *App) clustersWithHealth(ctx context.Context) ([]*store.Cluster, map[string]*store.Health, error) {
	all, err := a.storedClusters(ctx)
	if err != nil {
		return nil, nil, err
	}
	health, err := a.healthByCluster(ctx)
	return all, health, err
}

// GetCluster reads a cluster whose namespace the caller may see.
func (a *App) GetCluster(ctx context.Context, c *Caller, id string) (*Cluster, error) {
	id, err := c.ClusterID("id", id)
	if err != nil {
		return nil, err
	}
	health, err := a.healthByCluster(ctx)
	if err != nil {
		return nil, err
	}
	if id == store.DefaultClusterID {
		return a.defaultCluster(health), nil
	}
	cl, err := a.storedCluster(ctx, id)
	if err != nil {
		return nil, err
	}
	return a.clusterView(ctx, cl, health)
}

// storedCluster reads a cluster that is not retiring.
func (a *App) storedCluster(ctx context.Context, id string) (*store.Cluster, error) {
	cl, err := store.Get[*store.Cluster](ctx, a.store, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && cl.Retiring:
		return nil, Refuse(CodeNotFound, "id", "cluster %s not found", id)
	case err != nil:
		return nil, fmt.Errorf("read cluster %s: %w", id, err)
	}
	return cl, nil
}

// AddCluster adds a cluster (ManageClusters in the Global namespace) with
// its namespace, named after it, and empty settings, in one write.
func (a *App) AddCluster(ctx context.Context, c *Caller, in ClusterInput) (*Cluster, error) {
	if err := c.permit(ManageClusters, store.GlobalNamespaceID); err != nil {
		return nil, err
	}
	if in.Cluster == nil {
		return nil, invalid("cluster", "is required")
	}
	parent := cmp.Or(in.ParentNamespaceID, store.GlobalNamespaceID)
	if !store.ValidID(parent) {
		return nil, invalid("parent_namespace_id", "must be the id of a namespace")
	}
	if err := c.require(EditNamespaces, parent, "parent_namespace_id"); err != nil {
		return nil, err
	}
	if owner := c.Cluster(parent); owner != store.DefaultClusterID {
		return nil, invalid("parent_namespace_id", "namespace %s belongs to cluster %s: a cluster's namespace goes in the default cluster's part of the tree, clusters do not nest", parent, owner)
	}
	cl := store.Clone(in.Cluster)
	if cl.ID != "" {
		return nil, invalid("cluster.id", "is assigned by the console: leave it empty")
	}
	cl.ID, cl.Retiring = uuid.NewString(), false
	if err := a.databrokerFree(ctx, cl); err != nil {
		return nil, err
	}
	ns := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: cl.ID, NamespaceID: parent, Name: cl.Name}, Cluster: true}
	settings := &store.Settings{ObjectMeta: store.ObjectMeta{ID: cl.ID, NamespaceID: cl.ID}, Spec: &configpb.Settings{}}
	written, err := a.write(ctx, c,
		&store.PutOp{Object: ns, CreateOnly: true},
		&store.PutOp{Object: cl, CreateOnly: true},
		&store.PutOp{Object: settings, CreateOnly: true})
	if err != nil {
		return nil, clusterRefusal(err)
	}
	return a.clusterView(ctx, written[1].(*store.Cluster), nil)
}

// clusterRefusal names the cluster's own fields in a refusal of the
// store, whichever of the objects written with a cluster it is about: the
// namespace takes its name from the cluster.
func clusterRefusal(err error) error {
	var se *store.Error
	if !errors.As(err, &se) {
		return err
	}
	out := &Error{Code: se.Code, Index: -1, Reason: se.Reason}
	switch {
	case se.Kind == store.KindNamespace && se.Field == "name":
		out.Field = "cluster.name"
		out.Reason = "a namespace of that name is already in the parent namespace; a cluster's namespace takes the cluster's name"
	case se.Kind == store.KindCluster && se.Field != "":
		out.Field = "cluster." + se.Field
	default:
		return fromStore(err, nil)
	}
	return out
}

// UpdateCluster changes a cluster (ManageClusters in the Global
// namespace); a new name renames its namespace too. The default cluster is
// the configuration's to change.
func (a *App) UpdateCluster(ctx context.Context, c *Caller, in ClusterInput) (*Cluster, error) {
	if in.Cluster == nil {
		return nil, invalid("cluster", "is required")
	}
	id, err := c.ClusterID("cluster.id", in.Cluster.ID)
	if err != nil {
		return nil, err
	}
	if err := c.permit(ManageClusters, store.GlobalNamespaceID); err != nil {
		return nil, err
	}
	if id == store.DefaultClusterID {
		return nil, Refuse(CodeFailedPrecondition, "cluster.id", "the default cluster is the one the configuration names (databroker_service_url); change it there")
	}
	old, err := a.storedCluster(ctx, id)
	if err != nil {
		return nil, under(err, "cluster")
	}
	next := store.Clone(in.Cluster)
	next.Retiring = false
	if err := a.databrokerFree(ctx, next); err != nil {
		return nil, err
	}
	op := &store.PutOp{Object: next}
	if op.ExpectedVersion, err = pin(in.ExpectedVersion, old); err != nil {
		return nil, err
	}
	ops := []store.Op{op}
	if next.Name != old.Name {
		ns, err := store.Get[*store.Namespace](ctx, a.store, id)
		if err != nil {
			return nil, fmt.Errorf("read the namespace of cluster %s: %w", id, err)
		}
		if ns.Name == old.Name {
			prev := ns.Version
			ns.Name = next.Name
			ops = append([]store.Op{&store.PutOp{Object: ns, ExpectedVersion: prev}}, ops...)
		}
	}
	written, err := a.write(ctx, c, ops...)
	if err != nil {
		return nil, clusterRefusal(err)
	}
	return a.clusterView(ctx, written[len(written)-1].(*store.Cluster), nil)
}

// DeleteCluster deletes a cluster (ManageClusters in the Global
// namespace), its namespace and everything below it. The reconciler then
// removes the console's records from the cluster's databroker, and only
// then forgets the cluster. expected, when set, is the version the caller
// read (what it agreed to remove).
func (a *App) DeleteCluster(ctx context.Context, c *Caller, id string, expected *int64) error {
	id, err := c.ClusterID("id", id)
	if err != nil {
		return err
	}
	if err := c.permit(ManageClusters, store.GlobalNamespaceID); err != nil {
		return err
	}
	if id == store.DefaultClusterID {
		return Refuse(CodeFailedPrecondition, "id", "the default cluster cannot be deleted")
	}
	old, err := a.storedCluster(ctx, id)
	if err != nil {
		return err
	}
	version, err := pin(expected, old)
	if err != nil {
		return err
	}
	_, err = a.apply(ctx, c, old, &store.DeleteOp{Kind: store.KindCluster, ID: id, ExpectedVersion: version})
	return err
}

// ForgetCluster deletes a retiring cluster for good: what the reconciler
// does once the cluster's databroker holds nothing of the console's.
func (a *App) ForgetCluster(ctx context.Context, c *Caller, id string) error {
	cl, err := store.Get[*store.Cluster](ctx, a.store, id)
	if err != nil {
		return err
	}
	if !cl.Retiring {
		return Refuse(CodeFailedPrecondition, "id", "cluster %s is not deleted", id)
	}
	_, err = a.apply(ctx, c, cl, &store.DeleteOp{Kind: store.KindCluster, ID: id, ExpectedVersion: cl.Version})
	return err
}

// ClusterContents counts what deleting a cluster removes: the namespaces,
// routes, policies and key pairs in its namespace and below.
func (a *App) ClusterContents(ctx context.Context, c *Caller, id string) (map[store.Kind]int, error) {
	id, err := c.ClusterID("id", id)
	if err != nil {
		return nil, err
	}
	out := map[store.Kind]int{}
	for _, k := range []store.Kind{store.KindNamespace, store.KindRoute, store.KindPolicy, store.KindKeyPair, store.KindServiceAccount} {
		res, err := a.store.List(ctx, k, store.ListQuery{NamespaceID: id, Recursive: true, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("count the %ss of cluster %s: %w", k, id, err)
		}
		out[k] = res.TotalCount
	}
	return out, nil
}

// TestCluster reaches a cluster's databroker with the given connection
// (ManageClusters): what an admin checks before saving a cluster. An empty
// shared secret of a stored cluster (id set) is the stored one.
func (a *App) TestCluster(ctx context.Context, c *Caller, cl *store.Cluster) error {
	if err := c.permit(ManageClusters, store.GlobalNamespaceID); err != nil {
		return err
	}
	if a.probe == nil {
		return Refuse(CodeFailedPrecondition, "", "this console cannot reach databrokers on request")
	}
	cl = store.Clone(cl)
	if len(cl.SharedSecret) == 0 && cl.ID != "" {
		stored, err := store.Get[*store.Cluster](ctx, a.store, cl.ID, store.WithSecrets())
		if err == nil {
			cl.SharedSecret = stored.SharedSecret
		}
	}
	name := cl.Name
	if name == "" {
		cl.Name = "probe" // the name is not what is tested
	}
	if err := store.Validate(store.Clone(cl), a.now(), true); err != nil {
		var se *store.Error
		if errors.As(err, &se) && se.Field != "name" {
			return fromStore(err, nil)
		}
	}
	if err := a.probe(ctx, cl); err != nil {
		return Refuse(CodeUnavailable, "databroker_service_url", "the databroker did not answer with this secret: %v", err)
	}
	return nil
}

func (a *App) defaultCluster(health map[string]*store.Health) *Cluster {
	return &Cluster{
		Cluster: &store.Cluster{ObjectMeta: store.ObjectMeta{ID: store.DefaultClusterID, NamespaceID: store.GlobalNamespaceID,
			Name: store.DefaultClusterName, Origin: store.OriginSystem}, DatabrokerServiceURL: a.defaultURL, HasSharedSecret: true},
		Default: true, Health: health[store.DefaultClusterID],
	}
}

func (a *App) clusterView(ctx context.Context, cl *store.Cluster, health map[string]*store.Health) (*Cluster, error) {
	out := &Cluster{Cluster: store.Clone(cl)}
	out.SharedSecret = nil
	if health == nil {
		var err error
		if health, err = a.healthByCluster(ctx); err != nil {
			return nil, err
		}
	}
	out.Health = health[cl.ID]
	return out, nil
}

// healthByCluster reads the health of every cluster's reconciler, by
// cluster id (the default cluster's reconciler is named "default").
func (a *App) healthByCluster(ctx context.Context) (map[string]*store.Health, error) {
	all, err := a.store.Health(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the reconcilers' health: %w", err)
	}
	out := make(map[string]*store.Health, len(all))
	for _, h := range all {
		id := h.Name
		if id == store.DefaultClusterName {
			id = store.DefaultClusterID
		}
		out[id] = &h
	}
	return out, nil
}

// ClusterNames returns the name of every cluster by id, the default
// cluster's included: what surfaces show beside namespaces and routes.
func (a *App) ClusterNames(ctx context.Context) (map[string]string, error) {
	all, err := a.storedClusters(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{store.DefaultClusterID: store.DefaultClusterName}
	for _, cl := range all {
		if !cl.Retiring {
			out[cl.ID] = cl.Name
		}
	}
	return out, nil
}

// unreachableReason says why a cluster's objects wait, when its reconciler
// last failed: what a pending status adds as its reason.
func unreachableReason(h *store.Health) string {
	if h == nil || h.LastError == "" || !h.LastErrorAt.After(h.LastSuccess) {
		return ""
	}
	return "the cluster's reconciler cannot write: " + strings.TrimSpace(h.LastError)
}
