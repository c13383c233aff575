package compile

import (
	"cmp"
	"slices"

	"github.com/pomerium-console/pomerium-console/store"
)

// namespaceNode is a namespace with its place in the tree.
type namespaceNode struct {
	ns *store.Namespace
	// err is set when the namespace is not attached to the Global namespace
	// (missing parent, cycle): objects inside it cannot inherit anything.
	err *fieldError
	// enforced lists the enforced policies of this very namespace, by id.
	enforced []*policyEntry
	// cluster is the cluster everything in the namespace belongs to: the
	// nearest namespace at or above it that is a cluster's, or the
	// default cluster.
	cluster string

	resolving, resolved bool
}

// compileNamespaces indexes the namespaces and checks that each one hangs
// from the Global namespace.
func (c *compiler) compileNamespaces() {
	for _, ns := range c.st.Namespaces {
		c.namespaces[ns.ID] = &namespaceNode{ns: ns}
	}
	for _, ns := range c.st.Namespaces {
		node := c.namespaces[ns.ID]
		c.resolveNamespace(node)
		if ns.Cluster {
			c.aboveClusters[ns.ID] = c.walkAbove(ns.ID)
		}
		if node.err != nil {
			c.setStatus(store.KindNamespace, ns.ID, node.err.status())
		} else {
			c.setStatus(store.KindNamespace, ns.ID, validStatus())
		}
	}
}

// resolveNamespace walks up from node, marking every namespace on the way
// with whether it reaches the root.
func (c *compiler) resolveNamespace(node *namespaceNode) {
	if node.resolved {
		return
	}
	if node.resolving {
		node.err = fieldErrorf("namespace_id", "namespace %s is its own ancestor", describe(node.ns.Name, node.ns.ID))
		node.resolved = true
		return
	}
	node.resolving = true
	node.cluster = store.DefaultClusterID
	if node.ns.Cluster {
		node.cluster = node.ns.ID
	}
	defer func() { node.resolving, node.resolved = false, true }()

	parentID := node.ns.NamespaceID
	switch {
	case node.ns.ID == store.GlobalNamespaceID && parentID == "":
		return
	case node.ns.ID == store.GlobalNamespaceID:
		node.err = fieldErrorf("namespace_id", "the Global namespace is the root and cannot have a parent")
		return
	case parentID == "":
		node.err = fieldErrorf("namespace_id", "is required")
		return
	}
	parent, ok := c.namespaces[parentID]
	if !ok {
		node.err = fieldErrorf("namespace_id", "parent namespace %s does not exist", parentID)
		return
	}
	c.resolveNamespace(parent)
	if node.err == nil && parent.err != nil {
		node.err = fieldErrorf("namespace_id", "parent namespace %s is not attached to the Global namespace", describe(parent.ns.Name, parent.ns.ID))
	}
	switch {
	case !node.ns.Cluster:
		node.cluster = parent.cluster
	case parent.cluster != store.DefaultClusterID && node.err == nil:
		node.err = fieldErrorf("namespace_id", "the namespace of a cluster cannot be below the namespace of another cluster (%s)", parent.cluster)
	}
}

// clusterOf returns the cluster of the objects of a namespace; the default
// cluster for a namespace the compiler does not hold.
func (c *compiler) clusterOf(namespaceID string) string {
	if node, ok := c.namespaces[namespaceID]; ok {
		c.resolveNamespace(node)
		return node.cluster
	}
	return store.DefaultClusterID
}

// above reports whether namespace id is above the namespace of cluster
// (which is not the default cluster): the namespaces whose policies guard
// the cluster's routes too.
func (c *compiler) above(id, cluster string) bool { return c.aboveSet(cluster)[id] }

// aboveSet returns the namespaces above the namespace of cluster, as
// compileNamespaces found them: read-only once compiled.
func (c *compiler) aboveSet(cluster string) map[string]bool { return c.aboveClusters[cluster] }

func (c *compiler) walkAbove(cluster string) map[string]bool {
	set := map[string]bool{}
	node := c.namespaces[cluster]
	for guard := 0; node != nil && node.ns.ID != store.GlobalNamespaceID && guard < len(c.namespaces); guard++ {
		node = c.namespaces[node.ns.NamespaceID]
		if node != nil {
			set[node.ns.ID] = true
		}
	}
	return set
}

// reachable refuses a reference from an object of cluster to an object in
// namespace ns of another cluster, unless ns is above the cluster's
// namespace: each cluster's databroker holds its own objects and those of
// the namespaces above it, nothing of other clusters.
func (c *compiler) reachable(field, what, ns, name, cluster string) *fieldError {
	owner := c.clusterOf(ns)
	if owner == cluster || cluster != store.DefaultClusterID && c.above(ns, cluster) {
		return nil
	}
	return fieldErrorf(field, "%s %s belongs to cluster %s, not to this object's cluster %s or a namespace above it", what, name, owner, cluster)
}

// placement checks that an object's namespace exists and is attached to the
// tree, and returns it.
func (c *compiler) placement(namespaceID string) (*namespaceNode, *fieldError) {
	if namespaceID == "" {
		return nil, fieldErrorf("namespace_id", "is required")
	}
	node, ok := c.namespaces[namespaceID]
	if !ok {
		return nil, fieldErrorf("namespace_id", "namespace %s does not exist", namespaceID)
	}
	if node.err != nil {
		return nil, fieldErrorf("namespace_id", "namespace %s is invalid: %s", describe(node.ns.Name, node.ns.ID), node.err.Error())
	}
	return node, nil
}

// indexEnforced records each enforced policy on its namespace, in id order.
func (c *compiler) indexEnforced() {
	for _, p := range c.sortedPolicies() {
		if !p.policy.Enforced {
			continue
		}
		if node, ok := c.namespaces[p.policy.NamespaceID]; ok {
			node.enforced = append(node.enforced, p)
		}
	}
}

// enforcedFor returns the enforced policies that apply to a route in the
// namespace: those of the root first, then down the tree to the namespace
// itself, each level in id order. node must be attached to the tree.
func (c *compiler) enforcedFor(node *namespaceNode) []*policyEntry {
	if got, ok := c.enforced[node.ns.ID]; ok {
		return got
	}
	var inherited []*policyEntry
	if parent, ok := c.namespaces[node.ns.NamespaceID]; ok && node.ns.ID != store.GlobalNamespaceID {
		inherited = c.enforcedFor(parent)
	}
	all := inherited
	if len(node.enforced) > 0 {
		all = append(slices.Clip(inherited), node.enforced...)
	}
	c.enforced[node.ns.ID] = all
	return all
}

func (c *compiler) sortedPolicies() []*policyEntry {
	out := make([]*policyEntry, 0, len(c.policies))
	for _, p := range c.policies {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *policyEntry) int { return byID(a.policy, b.policy) })
	return out
}

// byID orders the enforced policies of one namespace.
func byID(a, b *store.Policy) int { return cmp.Compare(a.ID, b.ID) }

// Enforced returns the enforced policies that apply to a route in a
// namespace, in the order compilation adds them to the route's
// policy_ids (enforcedFor): those of the Global namespace first, then each
// namespace down to the route's own, each namespace's in id order. chain is
// the namespace and those above it, nearest first; own returns the
// enforced policies of one namespace, in any order. Surfaces that show a
// route's enforced policies take them from here rather than work the rule
// out again.
func Enforced(chain []string, own func(namespaceID string) []*store.Policy) []*store.Policy {
	var out []*store.Policy
	for _, ns := range slices.Backward(chain) {
		level := slices.Clone(own(ns))
		slices.SortFunc(level, byID)
		out = append(out, level...)
	}
	return out
}
