package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// namespaces implements NamespaceService. Reading a namespace takes viewer
// on it; creating, renaming, moving and deleting one take manager of its
// parent (and of the new parent for a move), as managers manage child
// namespaces; the Global namespace, which has no parent, takes admin of
// itself.
type namespaces struct{ *Server }

func (s *namespaces) GetNamespace(ctx context.Context, req *connect.Request[pb.GetNamespaceRequest]) (*connect.Response[pb.GetNamespaceResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	ns, err := s.readNamespace(ctx, a, req.Msg.GetId(), store.RoleViewer)
	if err != nil {
		return nil, err
	}
	out, err := s.namespaceOut(ctx, ns)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.GetNamespaceResponse{Namespace: out}), nil
}

func (s *namespaces) ListNamespaces(ctx context.Context, _ *connect.Request[pb.ListNamespacesRequest]) (*connect.Response[pb.ListNamespacesResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.store.List(ctx, store.KindNamespace, store.ListQuery{})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	res := &pb.ListNamespacesResponse{}
	for _, o := range all.Objects {
		ns := o.(*store.Namespace)
		if !a.can(ns.ID, store.RoleViewer) {
			continue
		}
		out, err := s.namespaceOut(ctx, ns)
		if err != nil {
			return nil, err
		}
		res.Namespaces = append(res.Namespaces, out)
	}
	return connect.NewResponse(res), nil
}

// namespaceFields names the store's namespace fields as SetNamespace's
// request does.
var namespaceFields = map[string]string{"name": "namespace.name", "namespace_id": "namespace.parent_id"}

func (s *namespaces) SetNamespace(ctx context.Context, req *connect.Request[pb.SetNamespaceRequest]) (*connect.Response[pb.SetNamespaceResponse], error) {
	in := req.Msg.GetNamespace()
	if in == nil {
		return nil, invalid("namespace", "is required")
	}
	ns, err := convert.NamespaceToStore(in)
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if ns.ID != "" {
		old, err := s.readNamespace(ctx, a, ns.ID, store.RoleViewer)
		if err != nil {
			return nil, err
		}
		if err := a.permit(writeScope(old)); err != nil {
			return nil, err
		}
	}
	if ns.ID != store.GlobalNamespaceID {
		if ns.NamespaceID == "" {
			return nil, invalid("namespace.parent_id", "is required")
		}
		if err := a.require(ns.NamespaceID, store.RoleManager); err != nil {
			return nil, err
		}
	}
	written, err := store.Put(ctx, s.store, a.actor(), ns, req.Msg.GetExpectedVersion())
	if err != nil {
		return nil, s.fail(ctx, requestFieldError(err, namespaceFields))
	}
	out, err := s.namespaceOut(ctx, written)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.SetNamespaceResponse{Namespace: out}), nil
}

func (s *namespaces) DeleteNamespace(ctx context.Context, req *connect.Request[pb.DeleteNamespaceRequest]) (*connect.Response[pb.DeleteNamespaceResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	ns, err := s.readNamespace(ctx, a, req.Msg.GetId(), store.RoleViewer)
	if err != nil {
		return nil, err
	}
	if err := a.permit(writeScope(ns)); err != nil {
		return nil, err
	}
	if err := store.Delete(ctx, s.store, a.actor(), store.DeleteOp{Kind: store.KindNamespace, ID: ns.ID}); err != nil {
		return nil, s.fail(ctx, err)
	}
	return connect.NewResponse(&pb.DeleteNamespaceResponse{}), nil
}

// resourceKinds are what ListNamespaceResources reports, by type name.
var resourceKinds = []struct {
	name string
	kind store.Kind
}{{"route", store.KindRoute}, {"policy", store.KindPolicy}, {"key_pair", store.KindKeyPair}}

func (s *namespaces) ListNamespaceResources(ctx context.Context, req *connect.Request[pb.ListNamespaceResourcesRequest]) (*connect.Response[pb.ListNamespaceResourcesResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	res := &pb.ListNamespaceResourcesResponse{}
	for i, id := range req.Msg.GetIds() {
		if !store.ValidID(id) {
			return nil, invalid(indexed("ids", i), "must be a UUID")
		}
		if err := a.require(id, store.RoleViewer); err != nil {
			return nil, err
		}
		for _, rk := range resourceKinds {
			got, err := s.store.List(ctx, rk.kind, store.ListQuery{NamespaceID: id})
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			for _, o := range got.Objects {
				m := o.GetObjectMeta()
				res.Resources = append(res.Resources, &pb.ListNamespaceResourcesResponse_Resource{Type: rk.name, Id: m.ID, Name: m.Name})
			}
		}
	}
	return connect.NewResponse(res), nil
}

// readNamespace returns a namespace the caller holds at least want in.
func (s *namespaces) readNamespace(ctx context.Context, a *access, id string, want store.Role) (*store.Namespace, error) {
	if !store.ValidID(id) {
		return nil, invalid("id", "must be a UUID")
	}
	if err := a.require(id, want); err != nil {
		return nil, err
	}
	ns, err := store.Get[*store.Namespace](ctx, s.store, id)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return ns, nil
}

// writeScope is the namespace, and the role in it, that changing ns takes:
// manager of its parent, or admin of the Global namespace for the Global
// namespace itself.
func writeScope(ns *store.Namespace) (string, store.Role) {
	if ns.NamespaceID == "" {
		return ns.ID, store.RoleAdmin
	}
	return ns.NamespaceID, store.RoleManager
}

// namespaceOut converts a namespace with its route and policy counts.
func (s *Server) namespaceOut(ctx context.Context, ns *store.Namespace) (*pb.Namespace, error) {
	var counts [2]int64
	for i, k := range []store.Kind{store.KindRoute, store.KindPolicy} {
		got, err := s.store.List(ctx, k, store.ListQuery{NamespaceID: ns.ID, Limit: 1})
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		counts[i] = int64(got.TotalCount)
	}
	return convert.NamespaceFromStore(ns, counts[0], counts[1]), nil
}
