package convert

import (
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// NamespaceToStore converts a namespace of the API: parent_id is the
// namespace it lives in. The counts and the timestamps the store keeps are
// ignored, and so is cluster_id, which the parent decides (the handler
// checks that they agree). NamespaceExplicit says which of its optional
// fields the result cannot hold.
func NamespaceToStore(n *pb.Namespace) (*store.Namespace, error) {
	return &store.Namespace{ObjectMeta: store.ObjectMeta{
		ID:          n.Id,
		NamespaceID: n.ParentId,
		Name:        n.Name,
	}}, nil
}

// NamespaceExplicit returns the optional fields of n set to a zero value
// that stored, what NamespaceToStore made of n, cannot hold (cluster_id
// ""): what the store keeps beside it (store.Namespace.Explicit).
func NamespaceExplicit(n *pb.Namespace, stored *store.Namespace) []string {
	return ExplicitZeroes(n, NamespaceFromStore(&store.Namespace{ObjectMeta: stored.ObjectMeta}, store.DefaultClusterID, 0, 0))
}

// NamespaceFromStore converts a stored namespace for the API, with the id
// of its cluster (left out for the default cluster) and the number of
// routes and policies in it, which the caller counts.
func NamespaceFromStore(n *store.Namespace, cluster string, routeCount, policyCount int64) *pb.Namespace {
	out := &pb.Namespace{
		Id:          n.ID,
		ParentId:    n.NamespaceID,
		CreatedAt:   Timestamp(n.CreatedAt),
		ModifiedAt:  Timestamp(n.ModifiedAt),
		Name:        n.Name,
		RouteCount:  routeCount,
		PolicyCount: policyCount,
	}
	if cluster != "" && cluster != store.DefaultClusterID {
		out.ClusterId = &cluster
	}
	out.Version, out.SyncStatus = Meta(n.ObjectMeta, nil)
	RestoreExplicit(out, n.Explicit)
	return out
}

// NamespacePermissionToStore converts a permission of the API. The
// namespace name and the timestamps the store keeps are ignored.
func NamespacePermissionToStore(p *pb.NamespacePermission) (*store.NamespacePermission, error) {
	subject := store.SubjectType(p.SubjectType)
	if subject != store.SubjectUser && subject != store.SubjectGroup {
		return nil, fieldErrorf("namespace_permission.subject_type", "%q is not one of user, group", p.SubjectType)
	}
	role := store.Role(p.Role)
	switch role {
	case store.RoleViewer, store.RoleManager, store.RoleAdmin:
	default:
		return nil, fieldErrorf("namespace_permission.role", "%q is not one of viewer, manager, admin", p.Role)
	}
	return &store.NamespacePermission{
		ObjectMeta:  store.ObjectMeta{ID: p.Id, NamespaceID: p.NamespaceId},
		SubjectType: subject,
		SubjectID:   p.SubjectId,
		Role:        role,
	}, nil
}

// NamespacePermissionFromStore converts a stored permission for the API; the
// namespace name is left to the caller.
func NamespacePermissionFromStore(p *store.NamespacePermission) *pb.NamespacePermission {
	out := &pb.NamespacePermission{
		Id:          p.ID,
		CreatedAt:   Timestamp(p.CreatedAt),
		ModifiedAt:  Timestamp(p.ModifiedAt),
		NamespaceId: p.NamespaceID,
		SubjectType: string(p.SubjectType),
		SubjectId:   p.SubjectID,
		Role:        string(p.Role),
	}
	out.Version, out.SyncStatus = Meta(p.ObjectMeta, nil)
	return out
}
