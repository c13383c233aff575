package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// namespaces implements NamespaceService over the use cases of namespaces.
type namespaces struct{ *Server }

// namespaceFields says where a namespace's fields are in SetNamespace's
// request: its parent is parent_id there.
var namespaceFields = at{root: "namespace", renames: map[string]string{"namespace_id": "parent_id"}}

func (s *namespaces) GetNamespace(ctx context.Context, req *connect.Request[pb.GetNamespaceRequest]) (*connect.Response[pb.GetNamespaceResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	ns, err := s.app.GetNamespace(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetNamespaceResponse{Namespace: namespaceOut(ns)}), nil
}

func (s *namespaces) ListNamespaces(ctx context.Context, _ *connect.Request[pb.ListNamespacesRequest]) (*connect.Response[pb.ListNamespacesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.app.ListNamespaces(ctx, c)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListNamespacesResponse{}
	for _, ns := range all {
		out.Namespaces = append(out.Namespaces, namespaceOut(ns))
	}
	return connect.NewResponse(out), nil
}

func (s *namespaces) SetNamespace(ctx context.Context, req *connect.Request[pb.SetNamespaceRequest]) (*connect.Response[pb.SetNamespaceResponse], error) {
	if req.Msg.GetNamespace() == nil {
		return nil, invalid("namespace", "is required")
	}
	ns, err := convert.NamespaceToStore(req.Msg.GetNamespace())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	ns.Explicit = convert.NamespaceExplicit(req.Msg.GetNamespace(), ns)
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	// A namespace belongs to the cluster of its parent: a cluster_id
	// sent must be that one.
	// (A cluster's own namespace is the cluster's.)
	parent := ns.NamespaceID
	if ns.ID != "" && c.Cluster(ns.ID) == ns.ID {
		parent = ns.ID
	}
	if err := c.InCluster("namespace.cluster_id", req.Msg.GetNamespace().GetClusterId(), "namespace.parent_id", parent); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	written, err := s.app.SetNamespace(ctx, c, manage.NamespaceInput{Namespace: ns, ExpectedVersion: req.Msg.ExpectedVersion})
	if err != nil {
		return nil, s.fail(ctx, err, namespaceFields)
	}
	return connect.NewResponse(&pb.SetNamespaceResponse{Namespace: namespaceOut(written)}), nil
}

func (s *namespaces) DeleteNamespace(ctx context.Context, req *connect.Request[pb.DeleteNamespaceRequest]) (*connect.Response[pb.DeleteNamespaceResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeleteNamespace(ctx, c, req.Msg.GetId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeleteNamespaceResponse{}), nil
}

// resourceTypes are the API's names of the kinds ListNamespaceResources
// reports.
var resourceTypes = map[store.Kind]string{store.KindRoute: "route", store.KindPolicy: "policy", store.KindKeyPair: "key_pair"}

func (s *namespaces) ListNamespaceResources(ctx context.Context, req *connect.Request[pb.ListNamespaceResourcesRequest]) (*connect.Response[pb.ListNamespaceResourcesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	found, err := s.app.NamespaceResources(ctx, c, req.Msg.GetIds())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListNamespaceResourcesResponse{}
	for _, r := range found {
		out.Resources = append(out.Resources, &pb.ListNamespaceResourcesResponse_Resource{Type: resourceTypes[r.Kind], Id: r.ID, Name: r.Name})
	}
	return connect.NewResponse(out), nil
}

func namespaceOut(ns *manage.Namespace) *pb.Namespace {
	return convert.NamespaceFromStore(ns.Namespace, ns.ClusterID, int64(ns.RouteCount), int64(ns.PolicyCount))
}
