package api_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

// setRouteWithKey sends SetRoute through transport with an idempotency
// key: gRPC metadata idempotency-key, or the Idempotency-Key header.
func (e *env) setRouteWithKey(transport, token, key string, r *pb.Route) (*pb.SetRouteResponse, error) {
	if transport == "grpc" {
		ctx := metadata.AppendToOutgoingContext(as(e.ctx, token), "idempotency-key", key)
		return pb.NewRouteServiceClient(e.conn).SetRoute(ctx, &pb.SetRouteRequest{Route: r})
	}
	req := connect.NewRequest(&pb.SetRouteRequest{Route: r})
	req.Header().Set("Idempotency-Key", key)
	res, err := dashboardpbconnect.NewRouteServiceClient(e.http, e.url, connectOpts(token)...).SetRoute(e.ctx, req)
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

// A create sent again under its idempotency key is answered with the
// route its first attempt created, and creates nothing; the key sent with
// another request is refused, and a key is its caller's alone.
func TestCreateSentAgainUnderItsKey(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			admin := e.adminToken()
			first, err := e.setRouteWithKey(transport, admin, "create-app", newRoute(store.GlobalNamespaceID, "app", "https://app.example.com"))
			if err != nil {
				t.Fatal(err)
			}
			again, err := e.setRouteWithKey(transport, admin, "create-app", newRoute(store.GlobalNamespaceID, "app", "https://app.example.com"))
			if err != nil {
				t.Fatalf("sent again: %v", err)
			}
			if again.Route.Id != first.Route.Id || again.Route.Version != first.Route.Version {
				t.Errorf("sent again: answered %s at version %d, want %s at version %d", again.Route.Id, again.Route.Version, first.Route.Id, first.Route.Version)
			}
			_, err = e.setRouteWithKey(transport, admin, "create-app", newRoute(store.GlobalNamespaceID, "other", "https://other.example.com"))
			wantCode(t, "another request under the key", err, connect.CodeInvalidArgument, "idempotency key was sent before with another request")
			other := e.account(store.RoleAdmin, store.GlobalNamespaceID)
			if _, err := e.setRouteWithKey(transport, other, "create-app", newRoute(store.GlobalNamespaceID, "theirs", "https://theirs.example.com")); err != nil {
				t.Errorf("another caller's request under the same key: %v", err)
			}
			_, err = e.setRouteWithKey(transport, admin, "a key with spaces", newRoute(store.GlobalNamespaceID, "x", "https://x.example.com"))
			wantCode(t, "a key with spaces", err, connect.CodeInvalidArgument, "Idempotency-Key header: must be printable ASCII")
			page, err := e.store.List(e.ctx, store.KindRoute, store.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range page.Objects {
				names = append(names, o.GetObjectMeta().Name)
			}
			if got := strings.Join(names, ","); got != "app,theirs" {
				t.Errorf("routes stored: %s, want app,theirs", got)
			}
		})
	}
}

// Without a key a create sent again is a new request, as Pomerium's own
// clients send it: it takes a new id, and the name its first attempt took
// refuses it (AlreadyExists, naming the field), so it never stores a
// route twice.
func TestCreateSentAgainWithoutAKey(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			api := e.routeAPI(transport, e.adminToken())
			if _, err := api.set(e.ctx, &pb.SetRouteRequest{Route: newRoute(store.GlobalNamespaceID, "app", "https://app.example.com")}); err != nil {
				t.Fatal(err)
			}
			_, err := api.set(e.ctx, &pb.SetRouteRequest{Route: newRoute(store.GlobalNamespaceID, "app", "https://app.example.com")})
			wantCode(t, "sent again without a key", err, connect.CodeAlreadyExists, "route.name")
			page, err := e.store.List(e.ctx, store.KindRoute, store.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if page.TotalCount != 1 {
				t.Errorf("%d routes stored, want 1", page.TotalCount)
			}
		})
	}
}

// ConfigService takes the key alike: CreateRoute sent again under it, as
// gRPC metadata, answers the route its first attempt created.
func TestConfigServiceCreateSentAgainUnderItsKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.configClient("grpc", e.adminToken())
	ctx := metadata.AppendToOutgoingContext(e.ctx, "idempotency-key", "create-app")
	req := &configpb.CreateRouteRequest{Route: &configpb.Route{Name: proto.String("app"), NamespaceId: proto.String(store.GlobalNamespaceID),
		From: "https://app.example.com", To: []string{"https://app.internal"}}}
	first, err := c.CreateRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateRoute(ctx, req)
	if err != nil {
		t.Fatalf("sent again: %v", err)
	}
	if again.GetRoute().GetId() != first.GetRoute().GetId() {
		t.Errorf("sent again: answered route %s, want %s", again.GetRoute().GetId(), first.GetRoute().GetId())
	}
}
