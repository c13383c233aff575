package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// ListNamespacePermissionGroups lists the groups that hold a role in a
// namespace: granted on it or inherited from a namespace above it that the
// caller can see, nearest namespace first.
func (s *permissions) ListNamespacePermissionGroups(ctx context.Context, req *connect.Request[pb.ListNamespacePermissionGroupsRequest]) (*connect.Response[pb.ListNamespacePermissionGroupsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	grants, err := s.app.Holders(ctx, c, req.Msg.GetNamespaceId(), store.SubjectGroup)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	res := &pb.ListNamespacePermissionGroupsResponse{}
	for _, p := range grants {
		o := permissionOut(p)
		res.Groups = append(res.Groups, &pb.NamespacePermissionGroup{
			Id: p.ID, CreatedAt: o.CreatedAt, ModifiedAt: o.ModifiedAt,
			NamespaceId: p.NamespaceID, NamespaceName: p.NamespaceName,
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
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	holders, err := s.app.UserHolders(ctx, c, req.Msg.GetNamespaceId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	res := &pb.ListNamespacePermissionUsersResponse{}
	for _, h := range holders {
		o := permissionOut(h.Permission)
		u := &pb.NamespacePermissionUser{
			Id: h.ID, CreatedAt: o.CreatedAt, ModifiedAt: o.ModifiedAt,
			NamespaceId: h.NamespaceID, NamespaceName: h.NamespaceName,
			UserId: h.SubjectID, Role: string(h.Role),
		}
		if h.User != nil {
			// user_id stays what the permission names (an id or an email).
			u.UserName, u.UserEmail, u.GroupIds = h.User.Name, h.User.Email, h.User.Groups
		}
		res.Users = append(res.Users, u)
	}
	return connect.NewResponse(res), nil
}
