package api

import (
	"context"
	"fmt"
	"slices"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// users implements UserService over the console's directory (see
// directory). Everyone may read their own user info; looking up another
// user takes admin of the Global namespace, since it shows that user's
// roles everywhere; querying users and groups takes a role in some
// namespace: it is what choosing the subject of a permission needs.
type users struct{ *Server }

// GetUserInfo returns the caller's own info when user_id is empty or the
// caller's id; another user's for a Global admin. The namespace roles of
// another user come from permissions: the config's administrators are
// known only when they call.
func (s *users) GetUserInfo(ctx context.Context, req *connect.Request[pb.GetUserInfoRequest]) (*connect.Response[pb.GetUserInfoResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	id := req.Msg.GetUserId()
	if id == "" || id == a.p.UserID {
		self := &pb.UserInfo{Id: a.p.UserID, Name: a.p.Name, Email: a.p.Email, Groups: a.p.Groups, NamespaceRoles: roleNames(a.snap.Roles(a.caller))}
		if self.Id == "" {
			// A recovery token has no user: it is known by its subject.
			self.Id = a.p.Subject
		}
		return connect.NewResponse(&pb.GetUserInfoResponse{UserInfo: self}), nil
	}
	if !a.can(store.GlobalNamespaceID, store.RoleAdmin) {
		return nil, connect.NewError(connect.CodePermissionDenied,
			fmt.Errorf("%s may only read its own user info: another user's takes admin of the Global namespace", a.p.Subject))
	}
	dir, err := s.loadDirectory(ctx)
	if err != nil {
		return nil, err
	}
	known := dir.lookup(id)
	if known == nil {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("user %s is not known to the console: it has neither signed in nor been granted a role", id))
	}
	info := proto.CloneOf(known)
	info.NamespaceRoles = roleNames(a.snap.Roles(rbac.Caller{UserID: info.Id, Email: info.Email, Groups: info.Groups}))
	return connect.NewResponse(&pb.GetUserInfoResponse{UserInfo: info}), nil
}

// QueryUsers pages through the known users whose id, email or name
// contains query, by email then id.
func (s *users) QueryUsers(ctx context.Context, req *connect.Request[pb.QueryUsersRequest]) (*connect.Response[pb.QueryUsersResponse], error) {
	q, dir, err := s.query(ctx, req.Msg)
	if err != nil {
		return nil, err
	}
	matched := dir.matchUsers(q.Query)
	return connect.NewResponse(&pb.QueryUsersResponse{Users: window(matched, q), TotalCount: int64(len(matched))}), nil
}

// QueryGroups pages through the known groups whose name contains query,
// in order of name.
func (s *users) QueryGroups(ctx context.Context, req *connect.Request[pb.QueryGroupsRequest]) (*connect.Response[pb.QueryGroupsResponse], error) {
	q, dir, err := s.query(ctx, req.Msg)
	if err != nil {
		return nil, err
	}
	matched := dir.matchGroups(q.Query)
	res := &pb.QueryGroupsResponse{TotalCount: int64(len(matched))}
	for _, g := range window(matched, q) {
		res.Groups = append(res.Groups, groupInfo(g))
	}
	return connect.NewResponse(res), nil
}

// GetGroupInfo returns what the console knows of a group: that it exists,
// under the name Pomerium sends.
func (s *users) GetGroupInfo(ctx context.Context, req *connect.Request[pb.GetGroupInfoRequest]) (*connect.Response[pb.GetGroupInfoResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	id := req.Msg.GetGroupId()
	if id == "" {
		return nil, invalid("group_id", "is required")
	}
	dir, err := s.browse(ctx)
	if err != nil {
		return nil, err
	}
	if _, found := slices.BinarySearch(dir.groups, id); !found {
		return nil, connect.NewError(connect.CodeNotFound,
			fmt.Errorf("group %q is not known to the console: no user who signed in is in it and no permission names it", id))
	}
	return connect.NewResponse(&pb.GetGroupInfoResponse{GroupInfo: groupInfo(id)}), nil
}

// directoryQuery is what QueryUsers and QueryGroups requests have in common.
type directoryQuery interface {
	GetQuery() string
	GetOffset() int64
	GetLimit() int64
	GetClusterId() string
}

// query checks a query request and reads the directory for it.
func (s *users) query(ctx context.Context, m directoryQuery) (store.ListQuery, *directory, error) {
	if err := noCluster(m.GetClusterId()); err != nil {
		return store.ListQuery{}, nil, err
	}
	offset, limit := m.GetOffset(), m.GetLimit()
	q, err := page(&offset, &limit, nil)
	if err != nil {
		return q, nil, err
	}
	q.Query = m.GetQuery()
	dir, err := s.browse(ctx)
	return q, dir, err
}

// browse reads the directory for a caller who holds a role somewhere: the
// directory serves those who manage access, not every holder of a token.
func (s *users) browse(ctx context.Context) (*directory, error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if len(a.snap.Roles(a.caller)) == 0 {
		return nil, connect.NewError(connect.CodePermissionDenied,
			fmt.Errorf("%s has no role in any namespace; looking up users and groups takes one", a.p.Subject))
	}
	return s.loadDirectory(ctx)
}

// groupInfo is a group as the API shows it: the console knows groups only
// by what Pomerium sends, which serves as both id and name.
func groupInfo(id string) *pb.GroupInfo { return &pb.GroupInfo{Id: id, Name: id} }

// roleNames is a map of roles by namespace as the API shows it.
func roleNames(roles map[string]store.Role) map[string]string {
	out := make(map[string]string, len(roles))
	for ns, r := range roles {
		out[ns] = string(r)
	}
	return out
}
