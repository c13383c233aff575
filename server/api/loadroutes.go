package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// LoadRoutes imports the routes (and their inline policies) of an
// open-source Pomerium configuration file into the Global namespace, the
// way `pomerium-console import` does, and answers every route of the file
// with its policies.
func (s *routes) LoadRoutes(ctx context.Context, req *connect.Request[pb.LoadRoutesRequest]) (*connect.Response[pb.LoadRoutesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := s.app.Import(ctx, c, manage.ImportInput{Namespace: store.GlobalNamespaceID, Content: req.Msg.GetContents()})
	if err != nil {
		return nil, s.fail(ctx, err, at{renames: map[string]string{"content": "contents"}})
	}
	var ids []string
	for _, ch := range plan.Plan {
		if ch.Kind == store.KindRoute {
			ids = append(ids, ch.ID)
		}
	}
	routes, err := s.routesWithPolicies(ctx, c, ids)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.LoadRoutesResponse{Routes: routes}), nil
}
