package e2e

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/store"
)

// scene writes desired state through the console's surfaces and keeps,
// worked out on its own rather than read back from the console, what
// Pomerium should attach to each route: the route's own policies and the
// enforced policies of its namespace and every namespace above it.
type scene struct {
	t   *testing.T
	ctx context.Context

	namespaces pb.NamespaceServiceClient
	policies   pb.PolicyServiceClient
	routes     pb.RouteServiceClient
	keyPairs   pb.KeyChainServiceClient
	settings   pb.SettingsServiceClient
	config     configpbconnect.ConfigServiceClient

	parent   map[string]string   // namespace id -> parent id
	enforced map[string][]string // namespace id -> its enforced policies
	// want maps every route id to the policy ids Pomerium should attach.
	want map[string][]string
}

func newScene(t *testing.T, c *console) *scene {
	token := c.adminToken()
	conn := c.grpcConn(token)
	return &scene{
		t: t, ctx: t.Context(),
		namespaces: pb.NewNamespaceServiceClient(conn), policies: pb.NewPolicyServiceClient(conn),
		routes: pb.NewRouteServiceClient(conn), keyPairs: pb.NewKeyChainServiceClient(conn),
		settings: pb.NewSettingsServiceClient(conn), config: c.configService(token),
		parent: map[string]string{}, enforced: map[string][]string{}, want: map[string][]string{},
	}
}

func (s *scene) namespace(parent, name string) string {
	s.t.Helper()
	res, err := s.namespaces.SetNamespace(s.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: parent, Name: name}})
	if err != nil {
		s.t.Fatalf("create namespace %s: %v", name, err)
	}
	id := res.GetNamespace().GetId()
	s.parent[id] = parent
	return id
}

func (s *scene) policy(ns, name, ppl string, enforced bool) string {
	s.t.Helper()
	res, err := s.policies.SetPolicy(s.ctx, &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: ns, Name: name, Ppl: ppl, Enforced: enforced}})
	if err != nil {
		s.t.Fatalf("create policy %s: %v", name, err)
	}
	return s.created(ns, res.GetPolicy().GetId(), enforced)
}

// namespaceIDs lists the Global namespace and those the scene made.
func (s *scene) namespaceIDs() []string {
	out := []string{store.GlobalNamespaceID}
	for id := range s.parent {
		out = append(out, id)
	}
	return out
}

// created notes a policy, enforced or not, and returns its id.
func (s *scene) created(ns, id string, enforced bool) string {
	if enforced {
		s.enforced[ns] = append(s.enforced[ns], id)
	}
	return id
}

func (s *scene) keyPair(ns, name string, cert, key []byte) string {
	s.t.Helper()
	res, err := s.keyPairs.CreateKeyPair(s.ctx, &pb.CreateKeyPairRequest{NamespaceId: ns, Name: name, Format: pb.Format_PEM, Certificate: cert, Key: key})
	if err != nil {
		s.t.Fatalf("create key pair %s: %v", name, err)
	}
	return res.GetKeyPair().GetId()
}

// route writes a route through the dashboard API.
func (s *scene) route(r *pb.Route) {
	s.t.Helper()
	res, err := s.routes.SetRoute(s.ctx, &pb.SetRouteRequest{Route: r})
	if err != nil {
		s.t.Fatalf("create route %s: %v", r.GetName(), err)
	}
	s.expect(res.GetRoute().GetId(), r.GetNamespaceId(), r.GetPolicyIds())
}

// expect notes the policies Pomerium should attach to a route: its own
// and every enforced one of its namespace and those above.
func (s *scene) expect(routeID, ns string, own []string) {
	want := slices.Clone(own)
	for n := ns; n != ""; n = s.parent[n] {
		want = append(want, s.enforced[n]...)
	}
	slices.Sort(want)
	s.want[routeID] = slices.Compact(want)
}

// configPolicy writes a policy through pomerium.config.ConfigService.
func (s *scene) configPolicy(ns, name, ppl string, enforced bool) string {
	s.t.Helper()
	res, err := s.config.CreatePolicy(s.ctx, connect.NewRequest(&configpb.CreatePolicyRequest{Policy: &configpb.Policy{
		NamespaceId: &ns, Name: &name, SourcePpl: &ppl, Enforced: &enforced,
	}}))
	if err != nil {
		s.t.Fatalf("create policy %s through ConfigService: %v", name, err)
	}
	return s.created(ns, res.Msg.GetPolicy().GetId(), enforced)
}

func (s *scene) configKeyPair(ns, name string, cert, key []byte) string {
	s.t.Helper()
	res, err := s.config.CreateKeyPair(s.ctx, connect.NewRequest(&configpb.CreateKeyPairRequest{KeyPair: &configpb.KeyPair{
		NamespaceId: &ns, Name: &name, Certificate: cert, Key: key,
	}}))
	if err != nil {
		s.t.Fatalf("create key pair %s through ConfigService: %v", name, err)
	}
	return res.Msg.GetKeyPair().GetId()
}

// configRoute writes a route through pomerium.config.ConfigService, which
// takes Pomerium's own Route message.
func (s *scene) configRoute(r *configpb.Route) {
	s.t.Helper()
	res, err := s.config.CreateRoute(s.ctx, connect.NewRequest(&configpb.CreateRouteRequest{Route: r}))
	if err != nil {
		s.t.Fatalf("create route %s through ConfigService: %v", r.GetName(), err)
	}
	s.expect(res.Msg.GetRoute().GetId(), r.GetNamespaceId(), r.GetPolicyIds())
}

// imported notes the routes `import` wrote into a namespace: each carries
// the one policy the importer made of its access rules, if it had any.
func (s *scene) imported(ns string, count int) {
	s.t.Helper()
	res, err := s.routes.ListRoutes(s.ctx, &pb.ListRoutesRequest{Namespace: ns, Limit: new(int64(100))})
	if err != nil {
		s.t.Fatal(err)
	}
	if len(res.GetRoutes()) != count {
		s.t.Fatalf("%d routes imported, want %d", len(res.GetRoutes()), count)
	}
	for _, r := range res.GetRoutes() {
		if len(r.GetPolicyIds()) > 1 || len(r.GetPolicyIds()) == 1 && !strings.HasSuffix(r.GetPolicyNames()[0], " access") {
			s.t.Fatalf("imported route %s has policies %v (%v), want the one made of its access rules", r.GetFrom(), r.GetPolicyNames(), r.GetPolicyIds())
		}
		s.expect(r.GetId(), ns, r.GetPolicyIds())
	}
}

// certificates are the PEM certificates and keys the scene's key pairs
// hold: a private CA that upstreams' certificates chain to, a client
// certificate the proxy presents to upstreams, and a wildcard certificate
// the proxy serves.
type certificates struct {
	ca, clientCert, clientKey, serverCert, serverKey []byte
}

func newCertificates(t *testing.T) certificates {
	var c certificates
	c.ca = testcert.NewCA(t).CertPEM
	c.clientCert, c.clientKey = testcert.SelfSigned(t, []string{"pomerium-proxy"}, time.Time{},
		func(x *x509.Certificate) { x.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} })
	c.serverCert, c.serverKey = testcert.SelfSigned(t, []string{"*.corp.example.com"}, time.Time{})
	return c
}
