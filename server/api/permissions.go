package api

import (
	"context"
	"fmt"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/server/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// permissions implements NamespacePermissionService. Reading a permission
// takes viewer of its namespace; granting, changing and revoking one take
// admin of it (of both namespaces for a move). Nobody grants a role above
// their own, nor on a namespace they cannot see.
type permissions struct{ *Server }

// permissionFields names the fields of a permission as a request does.
var permissionFields = map[string]string{
	"namespace_id": "namespace_permission.namespace_id", "subject_type": "namespace_permission.subject_type",
	"subject_id": "namespace_permission.subject_id", "role": "namespace_permission.role",
}

func (s *permissions) GetNamespacePermission(ctx context.Context, req *connect.Request[pb.GetNamespacePermissionRequest]) (*connect.Response[pb.GetNamespacePermissionResponse], error) {
	a, p, err := accessVisible[*store.NamespacePermission](ctx, s.Server, "id", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	out, err := s.permissionsOut(ctx, a, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.GetNamespacePermissionResponse{NamespacePermission: out[0]}), nil
}

// ListNamespacePermissions lists every permission in the namespaces the
// caller can see: the request has no fields.
func (s *permissions) ListNamespacePermissions(ctx context.Context, _ *connect.Request[pb.ListNamespacePermissionsRequest]) (*connect.Response[pb.ListNamespacePermissionsResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.store.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	var list []*store.NamespacePermission
	for _, o := range all.Objects {
		if p := o.(*store.NamespacePermission); a.can(p.NamespaceID, store.RoleViewer) {
			list = append(list, p)
		}
	}
	out, err := s.permissionsOut(ctx, a, list...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.ListNamespacePermissionsResponse{NamespacePermissions: out}), nil
}

func (s *permissions) SetNamespacePermission(ctx context.Context, req *connect.Request[pb.SetNamespacePermissionRequest]) (*connect.Response[pb.SetNamespacePermissionResponse], error) {
	in := req.Msg.GetNamespacePermission()
	if in == nil {
		return nil, invalid("namespace_permission", "is required")
	}
	p, err := convert.NamespacePermissionToStore(in)
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	if !store.ValidID(p.NamespaceID) {
		return nil, invalid("namespace_permission.namespace_id", "must be the id of a namespace")
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if p.ID != "" {
		old, err := readVisible[*store.NamespacePermission](ctx, s.Server, a, "namespace_permission.id", p.ID)
		if err != nil {
			return nil, err
		}
		if err := a.permit(old.NamespaceID, store.RoleAdmin); err != nil {
			return nil, err
		}
	}
	if err := a.require(p.NamespaceID, store.RoleAdmin); err != nil {
		return nil, err
	}
	// Only admins grant, and admin is the strongest role, so this holds
	// today; it is checked on its own so that it keeps holding if the role
	// that grants ever changes.
	if have := a.role(p.NamespaceID); !rbac.AtLeast(have, p.Role) {
		return nil, connect.NewError(connect.CodePermissionDenied,
			fmt.Errorf("%s is %s of namespace %s and may not grant %s", a.p.Subject, have, p.NamespaceID, p.Role))
	}
	written, err := store.Put(ctx, s.store, a.actor(), p, req.Msg.GetExpectedVersion())
	if err != nil {
		return nil, s.fail(ctx, requestFieldError(err, permissionFields))
	}
	out, err := s.permissionsOut(ctx, a, written)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.SetNamespacePermissionResponse{NamespacePermission: out[0]}), nil
}

func (s *permissions) DeleteNamespacePermission(ctx context.Context, req *connect.Request[pb.DeleteNamespacePermissionRequest]) (*connect.Response[pb.DeleteNamespacePermissionResponse], error) {
	a, p, err := accessVisible[*store.NamespacePermission](ctx, s.Server, "id", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := a.permit(p.NamespaceID, store.RoleAdmin); err != nil {
		return nil, err
	}
	if err := store.Delete(ctx, s.store, a.actor(), store.DeleteOp{Kind: store.KindNamespacePermission, ID: p.ID}); err != nil {
		return nil, s.fail(ctx, err)
	}
	return connect.NewResponse(&pb.DeleteNamespacePermissionResponse{}), nil
}

// permissionsOut converts permissions with the names of their namespaces.
func (s *Server) permissionsOut(ctx context.Context, a *access, list ...*store.NamespacePermission) ([]*pb.NamespacePermission, error) {
	out := make([]*pb.NamespacePermission, len(list))
	for i, p := range list {
		out[i] = convert.NamespacePermissionFromStore(p)
		out[i].NamespaceName = a.snap.Name(p.NamespaceID)
	}
	return out, nil
}
