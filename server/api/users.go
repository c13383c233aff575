package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// users implements UserService over what the console and the cluster's
// databroker know of users and groups (manage's directory).
type users struct{ *Server }

func (s *users) GetUserInfo(ctx context.Context, req *connect.Request[pb.GetUserInfoRequest]) (*connect.Response[pb.GetUserInfoResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	info, err := s.app.UserInfo(ctx, c, req.Msg.GetClusterId(), req.Msg.GetUserId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := userOut(&info.User)
	out.NamespaceRoles = roleNames(info.Roles)
	out.IsImpersonated = info.Impersonating != nil
	return connect.NewResponse(&pb.GetUserInfoResponse{UserInfo: out}), nil
}

func (s *users) QueryUsers(ctx context.Context, req *connect.Request[pb.QueryUsersRequest]) (*connect.Response[pb.QueryUsersResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.app.QueryUsers(ctx, c, req.Msg.GetClusterId(), req.Msg.GetQuery(), int(req.Msg.GetOffset()), int(req.Msg.GetLimit()))
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.QueryUsersResponse{TotalCount: int64(page.Total)}
	for _, u := range page.Items {
		out.Users = append(out.Users, userOut(u))
	}
	return connect.NewResponse(out), nil
}

func (s *users) QueryGroups(ctx context.Context, req *connect.Request[pb.QueryGroupsRequest]) (*connect.Response[pb.QueryGroupsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.app.QueryGroups(ctx, c, req.Msg.GetClusterId(), req.Msg.GetQuery(), int(req.Msg.GetOffset()), int(req.Msg.GetLimit()))
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.QueryGroupsResponse{TotalCount: int64(page.Total)}
	for _, g := range page.Items {
		out.Groups = append(out.Groups, &pb.GroupInfo{Id: g.ID, Name: g.Name})
	}
	return connect.NewResponse(out), nil
}

// GetGroupInfo returns what the console knows of a group: that it exists,
// under the name a directory record gives it or else the name Pomerium
// sends.
func (s *users) GetGroupInfo(ctx context.Context, req *connect.Request[pb.GetGroupInfoRequest]) (*connect.Response[pb.GetGroupInfoResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.app.GroupInfo(ctx, c, req.Msg.GetClusterId(), req.Msg.GetGroupId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetGroupInfoResponse{GroupInfo: &pb.GroupInfo{Id: g.ID, Name: g.Name}}), nil
}

func userOut(u *manage.User) *pb.UserInfo {
	return &pb.UserInfo{Id: u.ID, Name: u.Name, Email: u.Email, Groups: u.Groups}
}

// roleNames is a map of roles by namespace as the API shows it.
func roleNames(roles map[string]store.Role) map[string]string {
	out := make(map[string]string, len(roles))
	for ns, r := range roles {
		out[ns] = string(r)
	}
	return out
}
