package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// clusters implements ClustersService over the use cases of clusters.
type clusters struct{ *Server }

func (s *clusters) AddCluster(ctx context.Context, req *connect.Request[pb.AddClusterRequest]) (*connect.Response[pb.AddClusterResponse], error) {
	out, ns, settings, err := s.write(ctx, req.Msg.GetCluster(), func(c *manage.Caller, in *store.Cluster) (*manage.Cluster, error) {
		return s.app.AddCluster(ctx, c, manage.ClusterInput{Cluster: in, ParentNamespaceID: req.Msg.GetParentNamespaceId()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.AddClusterResponse{Cluster: out, Namespace: ns, Settings: settings}), nil
}

// write runs the use case that adds or changes a cluster, and answers the
// cluster written with its namespace and settings.
func (s *clusters) write(ctx context.Context, msg *pb.Cluster, use func(*manage.Caller, *store.Cluster) (*manage.Cluster, error)) (*pb.Cluster, *pb.Namespace, *pb.Settings, error) {
	if msg == nil {
		return nil, nil, nil, invalid("cluster", "is required")
	}
	in, err := convert.ClusterToStore(msg)
	if err != nil {
		return nil, nil, nil, s.fail(ctx, err, at{})
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	cl, err := use(c, in)
	if err != nil {
		return nil, nil, nil, s.fail(ctx, err, at{})
	}
	// The caller's roles were read before the cluster's namespace was
	// made or renamed.
	if c, err = s.caller(ctx); err != nil {
		return nil, nil, nil, err
	}
	return s.clusterOut(ctx, c, cl)
}

func (s *clusters) GetCluster(ctx context.Context, req *connect.Request[pb.GetClusterRequest]) (*connect.Response[pb.GetClusterResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	cl, err := s.app.GetCluster(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out, ns, settings, err := s.clusterOut(ctx, c, cl)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.GetClusterResponse{Cluster: out, Namespace: ns, Settings: settings}), nil
}

func (s *clusters) ListClusters(ctx context.Context, _ *connect.Request[pb.ListClustersRequest]) (*connect.Response[pb.ListClustersResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.app.ListClusters(ctx, c)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListClustersResponse{}
	for _, cl := range list {
		out.Clusters = append(out.Clusters, convert.ClusterFromStore(cl.Cluster))
	}
	return connect.NewResponse(out), nil
}

func (s *clusters) UpdateCluster(ctx context.Context, req *connect.Request[pb.UpdateClusterRequest]) (*connect.Response[pb.UpdateClusterResponse], error) {
	out, ns, settings, err := s.write(ctx, req.Msg.GetCluster(), func(c *manage.Caller, in *store.Cluster) (*manage.Cluster, error) {
		return s.app.UpdateCluster(ctx, c, manage.ClusterInput{Cluster: in})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.UpdateClusterResponse{Cluster: out, Namespace: ns, Settings: settings}), nil
}

func (s *clusters) DeleteCluster(ctx context.Context, req *connect.Request[pb.DeleteClusterRequest]) (*connect.Response[pb.DeleteClusterResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeleteCluster(ctx, c, req.Msg.GetId(), nil); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeleteClusterResponse{}), nil
}

// clusterOut is a cluster with its namespace and its settings, as the
// answers of Add, Get and Update carry them; the namespace and the
// settings are left out for a caller who may not read them.
func (s *clusters) clusterOut(ctx context.Context, c *manage.Caller, cl *manage.Cluster) (*pb.Cluster, *pb.Namespace, *pb.Settings, error) {
	out := convert.ClusterFromStore(cl.Cluster)
	var ns *pb.Namespace
	if v, err := s.app.GetNamespace(ctx, c, cl.ID); err == nil {
		ns = namespaceOut(v)
	} else if manage.CodeOf(err) == "" {
		return nil, nil, nil, s.fail(ctx, err, at{})
	}
	var settings *pb.Settings
	if st, err := s.app.GetSettings(ctx, c, cl.ID); err == nil {
		settings = convert.SettingsFromStore(st.Settings, st.Status)
	} else if manage.CodeOf(err) == "" {
		return nil, nil, nil, s.fail(ctx, err, at{})
	}
	return out, ns, settings, nil
}
