package rbac

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// None is the absence of a role: the caller sees nothing of the namespace.
const None store.Role = ""

var rank = map[store.Role]int{None: 0, store.RoleViewer: 1, store.RoleManager: 2, store.RoleAdmin: 3}

// AtLeast reports whether have grants everything want does.
func AtLeast(have, want store.Role) bool { return rank[have] >= rank[want] }

// Caller is who asks, as far as authorization is concerned.
type Caller struct {
	// UserID and Email match user permissions (an email matches without
	// regard to case); Groups match group permissions.
	UserID, Email string
	Groups        []string
	// Administrator is admin of the Global namespace and so of everything.
	Administrator bool
	// AdminOf makes the caller admin of one namespace and everything below
	// it (a recovery token); empty for none.
	AdminOf string
}

// Snapshot is the namespace tree and every permission, read at one moment:
// the input of every decision about one request.
type Snapshot struct {
	parent map[string]string
	name   map[string]string
	// clusters holds the namespaces of clusters.
	clusters map[string]bool
	grants   map[string][]*store.NamespacePermission
}

// Load reads the namespace tree and the permissions.
func Load(ctx context.Context, s store.Desired) (*Snapshot, error) {
	namespaces, err := s.List(ctx, store.KindNamespace, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("read namespaces: %w", err)
	}
	permissions, err := s.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("read permissions: %w", err)
	}
	return New(objectsOf[*store.Namespace](namespaces), objectsOf[*store.NamespacePermission](permissions)), nil
}

func objectsOf[T store.Object](res *store.ListResult) []T {
	out := make([]T, 0, len(res.Objects))
	for _, o := range res.Objects {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// New builds a snapshot from namespaces and permissions.
func New(namespaces []*store.Namespace, permissions []*store.NamespacePermission) *Snapshot {
	s := &Snapshot{parent: make(map[string]string, len(namespaces)), name: make(map[string]string, len(namespaces)),
		clusters: map[string]bool{}, grants: map[string][]*store.NamespacePermission{}}
	for _, ns := range namespaces {
		s.parent[ns.ID], s.name[ns.ID] = ns.NamespaceID, ns.Name
		if ns.Cluster {
			s.clusters[ns.ID] = true
		}
	}
	for _, p := range permissions {
		s.grants[p.NamespaceID] = append(s.grants[p.NamespaceID], p)
	}
	return s
}

// Role returns the caller's role in a namespace: the strongest granted on
// it or on any namespace above it. An unknown namespace gives None, except
// to administrators.
func (s *Snapshot) Role(c Caller, namespaceID string) store.Role {
	if c.Administrator {
		return store.RoleAdmin
	}
	best := None
	for _, id := range s.Ancestry(namespaceID) {
		if c.AdminOf != "" && id == c.AdminOf {
			return store.RoleAdmin
		}
		for _, p := range s.grants[id] {
			if matches(c, p) && rank[p.Role] > rank[best] {
				best = p.Role
			}
		}
	}
	return best
}

// Ancestry returns the namespace and every namespace above it, nearest
// first; empty for an unknown namespace. A cycle ends the walk.
func (s *Snapshot) Ancestry(namespaceID string) []string {
	var out []string
	for id := namespaceID; id != ""; id = s.parent[id] {
		if _, ok := s.parent[id]; !ok || slices.Contains(out, id) {
			break
		}
		out = append(out, id)
	}
	return out
}

// Cluster returns the cluster everything in a namespace belongs to: the
// nearest namespace at or above it that is a cluster's, or the default
// cluster.
func (s *Snapshot) Cluster(namespaceID string) string {
	for _, id := range s.Ancestry(namespaceID) {
		if s.clusters[id] {
			return id
		}
	}
	return store.DefaultClusterID
}

// HasClusters reports whether any cluster besides the default one exists.
func (s *Snapshot) HasClusters() bool { return len(s.clusters) > 0 }

// IsCluster reports whether a namespace is a cluster's (the default
// cluster's, Global, included).
func (s *Snapshot) IsCluster(namespaceID string) bool {
	return s.clusters[namespaceID] || namespaceID == store.DefaultClusterID
}

// Name returns the name of a namespace, "" for an unknown one.
func (s *Snapshot) Name(namespaceID string) string { return s.name[namespaceID] }

// Exists reports whether the namespace is in the snapshot.
func (s *Snapshot) Exists(namespaceID string) bool {
	_, ok := s.parent[namespaceID]
	return ok
}

// Roles returns the caller's role in every namespace where it has one.
func (s *Snapshot) Roles(c Caller) map[string]store.Role {
	out := map[string]store.Role{}
	for id := range s.parent {
		if r := s.Role(c, id); r != None {
			out[id] = r
		}
	}
	return out
}

func matches(c Caller, p *store.NamespacePermission) bool {
	switch p.SubjectType {
	case store.SubjectUser:
		return (c.UserID != "" && p.SubjectID == c.UserID) || (c.Email != "" && strings.EqualFold(p.SubjectID, c.Email))
	case store.SubjectGroup:
		return slices.Contains(c.Groups, p.SubjectID)
	}
	return false
}
