package api

import (
	"cmp"
	"context"
	"slices"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/server/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// ListNamespacePermissionGroups lists the groups that hold a role in a
// namespace: granted on it or inherited from a namespace above it that the
// caller can see, nearest namespace first.
func (s *permissions) ListNamespacePermissionGroups(ctx context.Context, req *connect.Request[pb.ListNamespacePermissionGroupsRequest]) (*connect.Response[pb.ListNamespacePermissionGroupsResponse], error) {
	grants, snap, err := s.holders(ctx, req.Msg.GetNamespaceId(), store.SubjectGroup)
	if err != nil {
		return nil, err
	}
	res := &pb.ListNamespacePermissionGroupsResponse{}
	for _, p := range grants {
		o := convert.NamespacePermissionFromStore(p)
		res.Groups = append(res.Groups, &pb.NamespacePermissionGroup{
			Id: p.ID, CreatedAt: o.CreatedAt, ModifiedAt: o.ModifiedAt,
			NamespaceId: p.NamespaceID, NamespaceName: snap.Name(p.NamespaceID),
			// A group is known by what Pomerium sends: its name or id.
			GroupId: p.SubjectID, GroupName: p.SubjectID, Role: string(p.Role),
		})
	}
	return connect.NewResponse(res), nil
}

// ListNamespacePermissionUsers lists the users (and service accounts) that
// hold a role in a namespace by a user permission, as
// ListNamespacePermissionGroups does groups, with what the console knows of
// them.
func (s *permissions) ListNamespacePermissionUsers(ctx context.Context, req *connect.Request[pb.ListNamespacePermissionUsersRequest]) (*connect.Response[pb.ListNamespacePermissionUsersResponse], error) {
	grants, snap, err := s.holders(ctx, req.Msg.GetNamespaceId(), store.SubjectUser)
	if err != nil {
		return nil, err
	}
	dir, err := s.loadDirectory(ctx)
	if err != nil {
		return nil, err
	}
	res := &pb.ListNamespacePermissionUsersResponse{}
	for _, p := range grants {
		o := convert.NamespacePermissionFromStore(p)
		u := &pb.NamespacePermissionUser{
			Id: p.ID, CreatedAt: o.CreatedAt, ModifiedAt: o.ModifiedAt,
			NamespaceId: p.NamespaceID, NamespaceName: snap.Name(p.NamespaceID),
			UserId: p.SubjectID, Role: string(p.Role),
		}
		if known := dir.lookup(p.SubjectID); known != nil {
			// user_id stays what the permission names (an id or an email).
			u.UserName, u.UserEmail, u.GroupIds = known.Name, known.Email, known.Groups
		}
		res.Users = append(res.Users, u)
	}
	return connect.NewResponse(res), nil
}

// holders returns the permissions of one subject type that give a role in
// a namespace the caller may view, from the namespace itself and from each
// namespace above it that the caller can see (those it cannot see stay
// hidden, as everywhere), nearest first; and the snapshot that names the namespaces.
func (s *permissions) holders(ctx context.Context, namespaceID string, subject store.SubjectType) ([]*store.NamespacePermission, *rbac.Snapshot, error) {
	if !store.ValidID(namespaceID) {
		return nil, nil, invalid("namespace_id", "must be the id of a namespace")
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := a.require(namespaceID, store.RoleViewer); err != nil {
		return nil, nil, err
	}
	depth := map[string]int{}
	for i, id := range a.snap.Ancestry(namespaceID) {
		if a.can(id, store.RoleViewer) {
			depth[id] = i
		}
	}
	all, err := s.store.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return nil, nil, s.fail(ctx, err)
	}
	var grants []*store.NamespacePermission
	for _, o := range all.Objects {
		p := o.(*store.NamespacePermission)
		if _, ok := depth[p.NamespaceID]; ok && p.SubjectType == subject {
			grants = append(grants, p)
		}
	}
	slices.SortStableFunc(grants, func(x, y *store.NamespacePermission) int {
		return cmp.Or(cmp.Compare(depth[x.NamespaceID], depth[y.NamespaceID]), cmp.Compare(x.SubjectID, y.SubjectID))
	})
	return grants, a.snap, nil
}
