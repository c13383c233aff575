package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

// permissions implements NamespacePermissionService over the use cases of
// permissions.
type permissions struct{ *Server }

// permissionFields says where a permission's fields are in the requests.
var permissionFields = at{root: "namespace_permission"}

func (s *permissions) GetNamespacePermission(ctx context.Context, req *connect.Request[pb.GetNamespacePermissionRequest]) (*connect.Response[pb.GetNamespacePermissionResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.app.GetPermission(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetNamespacePermissionResponse{NamespacePermission: permissionOut(p)}), nil
}

// ListNamespacePermissions lists every permission in the namespaces the
// caller can see: the request has no fields.
func (s *permissions) ListNamespacePermissions(ctx context.Context, _ *connect.Request[pb.ListNamespacePermissionsRequest]) (*connect.Response[pb.ListNamespacePermissionsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.app.ListPermissions(ctx, c)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListNamespacePermissionsResponse{}
	for _, p := range list {
		out.NamespacePermissions = append(out.NamespacePermissions, permissionOut(p))
	}
	return connect.NewResponse(out), nil
}

func (s *permissions) SetNamespacePermission(ctx context.Context, req *connect.Request[pb.SetNamespacePermissionRequest]) (*connect.Response[pb.SetNamespacePermissionResponse], error) {
	if req.Msg.GetNamespacePermission() == nil {
		return nil, invalid("namespace_permission", "is required")
	}
	p, err := convert.NamespacePermissionToStore(req.Msg.GetNamespacePermission())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	written, err := s.app.SetPermission(ctx, c, manage.PermissionInput{Permission: p, ExpectedVersion: req.Msg.ExpectedVersion})
	if err != nil {
		return nil, s.fail(ctx, err, permissionFields)
	}
	return connect.NewResponse(&pb.SetNamespacePermissionResponse{NamespacePermission: permissionOut(written)}), nil
}

func (s *permissions) DeleteNamespacePermission(ctx context.Context, req *connect.Request[pb.DeleteNamespacePermissionRequest]) (*connect.Response[pb.DeleteNamespacePermissionResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeletePermission(ctx, c, req.Msg.GetId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeleteNamespacePermissionResponse{}), nil
}

func permissionOut(p *manage.Permission) *pb.NamespacePermission {
	out := convert.NamespacePermissionFromStore(p.NamespacePermission)
	out.NamespaceName = p.NamespaceName
	return out
}
