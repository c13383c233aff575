package api_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/store"
)

type keyChainAPI struct {
	create rpc[pb.CreateKeyPairRequest, pb.CreateKeyPairResponse]
	update rpc[pb.UpdateKeyPairRequest, pb.UpdateKeyPairResponse]
	get    rpc[pb.GetKeyPairRequest, pb.GetKeyPairResponse]
	list   rpc[pb.ListKeyPairsRequest, pb.ListKeyPairsResponse]
	del    rpc[pb.DeleteKeyPairRequest, pb.DeleteKeyPairResponse]
}

func (e *env) keyChainAPI(transport, token string) keyChainAPI {
	if transport == "grpc" {
		c := pb.NewKeyChainServiceClient(e.conn)
		return keyChainAPI{viaGRPC(token, c.CreateKeyPair), viaGRPC(token, c.UpdateKeyPair), viaGRPC(token, c.GetKeyPair),
			viaGRPC(token, c.ListKeyPairs), viaGRPC(token, c.DeleteKeyPair)}
	}
	c := dashboardpbconnect.NewKeyChainServiceClient(e.http, e.url, connectOpts(token)...)
	return keyChainAPI{viaConnect(c.CreateKeyPair), viaConnect(c.UpdateKeyPair), viaConnect(c.GetKeyPair),
		viaConnect(c.ListKeyPairs), viaConnect(c.DeleteKeyPair)}
}

// keyPair stores a key pair with a certificate for host in namespace ns.
func (e *env) keyPair(ns, host string) *store.KeyPair {
	e.t.Helper()
	cert, key := certificate(e.t, host)
	kp, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: host}, Certificate: cert, PrivateKey: key}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return kp
}

func TestKeyPairLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			prod := e.namespace(store.GlobalNamespaceID, "Production")
			api := e.keyChainAPI(transport, e.adminToken())
			cert, key := certificate(t, "a.example.com", "*.a.example.com")
			created, err := api.create(e.ctx, &pb.CreateKeyPairRequest{Name: "a", NamespaceId: prod.ID, Format: pb.Format_PEM, Certificate: cert, Key: key})
			if err != nil {
				t.Fatal(err)
			}
			kp := created.KeyPair
			if kp.Id == "" || kp.Version == 0 || !kp.HasPrivateKey || kp.NamespaceId != prod.ID || !bytes.Equal(kp.Certificate, cert) ||
				kp.CertInfo.GetSubject().GetCommonName() != "a.example.com" || len(kp.CertInfo.GetDnsNames()) != 2 ||
				!kp.CertInfo.GetKeyUsage().GetServerAuth() {
				t.Fatalf("created %v", kp)
			}
			if wire, _ := proto.Marshal(created); bytes.Contains(wire, key) {
				t.Fatal("the response carries the private key")
			}
			got, err := api.get(e.ctx, &pb.GetKeyPairRequest{Id: kp.Id})
			if err != nil || !proto.Equal(got.KeyPair, kp) {
				t.Fatalf("get: %v, %v", got, err)
			}
			bCert, bKey := certificate(t, "b.example.com")
			if _, err := api.create(e.ctx, &pb.CreateKeyPairRequest{Name: "b", NamespaceId: prod.ID, Certificate: bCert, Key: bKey}); err != nil {
				t.Fatal(err)
			}
			_, err = api.create(e.ctx, &pb.CreateKeyPairRequest{Name: "a", NamespaceId: prod.ID, Certificate: bCert})
			wantCode(t, "create with a taken name", err, connect.CodeAlreadyExists, "name")
			_, err = api.create(e.ctx, &pb.CreateKeyPairRequest{Id: &kp.Id, Name: "c", NamespaceId: prod.ID, Certificate: bCert})
			wantCode(t, "create with a taken id", err, connect.CodeAlreadyExists, "")

			checkKeyPairList(t, e.ctx, api, prod.ID)

			_, err = api.update(e.ctx, &pb.UpdateKeyPairRequest{Id: kp.Id, Name: new("stale"), ExpectedVersion: new(kp.Version - 1)})
			wantCode(t, "stale update", err, connect.CodeFailedPrecondition, "")
			_, err = api.update(e.ctx, &pb.UpdateKeyPairRequest{Id: kp.Id, Certificate: bCert})
			wantCode(t, "new certificate that the stored key does not match", err, connect.CodeInvalidArgument, "key: ")
			renamed, err := api.update(e.ctx, &pb.UpdateKeyPairRequest{Id: kp.Id, Name: new("a2"), ExpectedVersion: new(kp.Version)})
			if err != nil || renamed.KeyPair.Name != "a2" || !renamed.KeyPair.HasPrivateKey || renamed.KeyPair.Version <= kp.Version {
				t.Fatalf("rename: %v, %v", renamed, err)
			}
			replaced, err := api.update(e.ctx, &pb.UpdateKeyPairRequest{Id: kp.Id, Certificate: bCert, Key: bKey})
			if err != nil || replaced.KeyPair.CertInfo.GetSubject().GetCommonName() != "b.example.com" {
				t.Fatalf("replace certificate and key: %v, %v", replaced, err)
			}

			if _, err := api.del(e.ctx, &pb.DeleteKeyPairRequest{Id: kp.Id}); err != nil {
				t.Fatal(err)
			}
			_, err = api.get(e.ctx, &pb.GetKeyPairRequest{Id: kp.Id})
			wantCode(t, "get deleted", err, connect.CodeNotFound, "")
			_, err = api.del(e.ctx, &pb.DeleteKeyPairRequest{Id: kp.Id})
			wantCode(t, "delete deleted", err, connect.CodeNotFound, "")
			_, err = api.update(e.ctx, &pb.UpdateKeyPairRequest{Id: uuid.NewString(), Name: new("x")})
			wantCode(t, "update missing", err, connect.CodeNotFound, "")
		})
	}
}

// checkKeyPairList lists the key pairs a (a.example.com and its subdomains)
// and b (b.example.com) of ns by query, page and domain.
func checkKeyPairList(t *testing.T, ctx context.Context, api keyChainAPI, ns string) {
	t.Helper()
	for _, tc := range []struct {
		name  string
		req   *pb.ListKeyPairsRequest
		want  []string
		total int64
	}{
		{"all", &pb.ListKeyPairsRequest{NamespaceId: ns}, []string{"a", "b"}, 2},
		{"query", &pb.ListKeyPairsRequest{NamespaceId: ns, Query: new("B")}, []string{"b"}, 1},
		{"page", &pb.ListKeyPairsRequest{NamespaceId: ns, Offset: new(int64(1)), Limit: new(int64(1))}, []string{"b"}, 2},
		{"descending", &pb.ListKeyPairsRequest{NamespaceId: ns, OrderBy: new("-name")}, []string{"b", "a"}, 2},
		{"domain", &pb.ListKeyPairsRequest{NamespaceId: ns, Domain: new("x.a.example.com")}, []string{"a"}, 1},
		{"domain, second page", &pb.ListKeyPairsRequest{NamespaceId: ns, Domain: new("a.example.com"), Offset: new(int64(1))}, nil, 1},
		{"no domain matches", &pb.ListKeyPairsRequest{NamespaceId: ns, Domain: new("example.org")}, nil, 0},
	} {
		got, err := api.list(ctx, tc.req)
		if err != nil {
			t.Fatalf("list %s: %v", tc.name, err)
		}
		var names []string
		for _, kp := range got.KeyPairs {
			names = append(names, kp.Name)
		}
		if !slices.Equal(names, tc.want) || got.TotalCount != tc.total {
			t.Errorf("list %s: %v of %d, want %v of %d", tc.name, names, got.TotalCount, tc.want, tc.total)
		}
	}
}

func TestKeyPairInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cert, _ := certificate(t, "a.example.com")
	_, otherKey := certificate(t, "b.example.com")
	ns := store.GlobalNamespaceID
	for _, transport := range transports {
		api := e.keyChainAPI(transport, e.adminToken())
		for _, tc := range []struct {
			name string
			req  *pb.CreateKeyPairRequest
			want string
		}{
			{"no name", &pb.CreateKeyPairRequest{NamespaceId: ns, Certificate: cert}, "name: is required"},
			{"bad namespace", &pb.CreateKeyPairRequest{Name: "a", NamespaceId: "prod", Certificate: cert}, "namespace_id: "},
			{"no certificate", &pb.CreateKeyPairRequest{Name: "a", NamespaceId: ns}, "certificate: "},
			{"not PEM", &pb.CreateKeyPairRequest{Name: "a", NamespaceId: ns, Certificate: []byte("hello")}, "certificate: "},
			{"key of another certificate", &pb.CreateKeyPairRequest{Name: "a", NamespaceId: ns, Certificate: cert, Key: otherKey}, "key: does not match"},
			{"key not PEM", &pb.CreateKeyPairRequest{Name: "a", NamespaceId: ns, Certificate: cert, Key: []byte("k")}, "key: "},
			{"unknown format", &pb.CreateKeyPairRequest{Name: "a", NamespaceId: ns, Certificate: cert, Format: 7}, "format: "},
			{"bad id", &pb.CreateKeyPairRequest{Id: new("x"), Name: "a", NamespaceId: ns, Certificate: cert}, "id: must be a UUID"},
		} {
			_, err := api.create(e.ctx, tc.req)
			wantCode(t, transport+" create: "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		_, err := api.get(e.ctx, &pb.GetKeyPairRequest{Id: "x"})
		wantCode(t, transport+" get with a bad id", err, connect.CodeInvalidArgument, "id: must be a UUID")
		_, err = api.del(e.ctx, &pb.DeleteKeyPairRequest{})
		wantCode(t, transport+" delete without id", err, connect.CodeInvalidArgument, "id: must be a UUID")
		_, err = api.list(e.ctx, &pb.ListKeyPairsRequest{NamespaceId: "x"})
		wantCode(t, transport+" list with a bad namespace", err, connect.CodeInvalidArgument, "namespace_id: ")
		_, err = api.list(e.ctx, &pb.ListKeyPairsRequest{NamespaceId: ns, Limit: new(int64(-1))})
		wantCode(t, transport+" list with a bad limit", err, connect.CodeInvalidArgument, "limit: ")
		_, err = api.list(e.ctx, &pb.ListKeyPairsRequest{NamespaceId: ns, ClusterId: new("c")})
		wantCode(t, transport+" list of a cluster", err, connect.CodeInvalidArgument, "cluster_id: ")
	}
	kp := e.keyPair(ns, "kept.example.com")
	api := e.keyChainAPI("grpc", e.adminToken())
	for _, tc := range []struct {
		name string
		req  *pb.UpdateKeyPairRequest
		want string
	}{
		{"empty name", &pb.UpdateKeyPairRequest{Id: kp.ID, Name: new("")}, "name: is required"},
		{"unknown format", &pb.UpdateKeyPairRequest{Id: kp.ID, Format: new(pb.Format(9))}, "format: "},
		{"not PEM", &pb.UpdateKeyPairRequest{Id: kp.ID, Certificate: []byte("x")}, "certificate: "},
		{"key of another certificate", &pb.UpdateKeyPairRequest{Id: kp.ID, Key: otherKey}, "key: does not match"},
	} {
		_, err := api.update(e.ctx, tc.req)
		wantCode(t, "update: "+tc.name, err, connect.CodeInvalidArgument, tc.want)
	}
	list, err := api.list(e.ctx, &pb.ListKeyPairsRequest{NamespaceId: ns})
	if err != nil || list.TotalCount != 1 || list.KeyPairs[0].Version != kp.Version {
		t.Fatalf("rejected writes changed the key chain: %v, %v", list, err)
	}
}

// TestDeleteKeyPairInUse checks that a key pair a route uses cannot be
// deleted until the route stops using it.
func TestDeleteKeyPairInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	kp := e.keyPair(store.GlobalNamespaceID, "client.example.com")
	r := e.route(store.GlobalNamespaceID, "app", "https://app.example.com")
	r.Spec.TlsClientKeyPairId = &kp.ID
	if _, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, r, 0); err != nil {
		t.Fatal(err)
	}
	api := e.keyChainAPI("grpc", e.adminToken())
	_, err := api.del(e.ctx, &pb.DeleteKeyPairRequest{Id: kp.ID})
	wantCode(t, "delete a key pair in use", err, connect.CodeFailedPrecondition, "route "+r.ID)
	r.Spec.TlsClientKeyPairId = nil
	if _, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, r, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := api.del(e.ctx, &pb.DeleteKeyPairRequest{Id: kp.ID}); err != nil {
		t.Fatalf("delete a key pair no longer in use: %v", err)
	}
}

func TestKeyChainRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cert, key := certificate(t, "new.example.com")
	e.roleMatrix(t, []roleCall{
		{"GetKeyPair", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.keyChainAPI("grpc", tok).get(ctx, &pb.GetKeyPairRequest{Id: e.keyPair(ns, uuid.NewString()).ID})
			return err
		}},
		{"ListKeyPairs", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.keyChainAPI("connect-json", tok).list(ctx, &pb.ListKeyPairsRequest{NamespaceId: ns})
			return err
		}},
		{"ListKeyPairs (domain)", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.keyChainAPI("grpc", tok).list(ctx, &pb.ListKeyPairsRequest{NamespaceId: ns, Domain: new("new.example.com")})
			return err
		}},
		{"CreateKeyPair", store.RoleAdmin, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.keyChainAPI("connect-json", tok).create(ctx, &pb.CreateKeyPairRequest{Name: uuid.NewString(), NamespaceId: ns, Certificate: cert, Key: key})
			return err
		}},
		{"UpdateKeyPair", store.RoleAdmin, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.keyChainAPI("grpc", tok).update(ctx, &pb.UpdateKeyPairRequest{Id: e.keyPair(ns, uuid.NewString()).ID, Name: new(uuid.NewString())})
			return err
		}},
		{"DeleteKeyPair", store.RoleAdmin, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.keyChainAPI("connect-json", tok).del(ctx, &pb.DeleteKeyPairRequest{Id: e.keyPair(ns, uuid.NewString()).ID})
			return err
		}},
	})
}

// certificate returns a self-signed certificate for hosts and its key, PEM.
func certificate(t testing.TB, hosts ...string) (certPEM, keyPEM []byte) {
	return testcert.SelfSigned(t, hosts, time.Time{})
}
