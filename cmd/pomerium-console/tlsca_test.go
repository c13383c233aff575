package main

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
)

// A databroker behind a private CA is reached only when tls_ca names the CA.
func TestDatabrokerClientTrustsTLSCA(t *testing.T) {
	t.Parallel()
	secret := []byte(strings.Repeat("s", 32))
	ca := testcert.NewCA(t)
	url := tlsDatabroker(t, ca, secret)
	args := []string{"--databroker-service-url", url, "--shared-secret", base64.StdEncoding.EncodeToString(secret)}
	rec := structRecord(t, "r1")

	t.Run("with tls_ca", func(t *testing.T) {
		t.Parallel()
		client, _, stop, err := databrokerClient(loadFlags(t, append(args, "--tls-ca", string(ca.CertPEM))...), testr.New(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		t.Cleanup(func() { _ = client.Close() })
		if _, err := client.Put(t.Context(), []*pb.Record{rec}); err != nil {
			t.Fatalf("put: %v", err)
		}
		res, err := client.RPC().Get(t.Context(), &pb.GetRequest{Type: rec.Type, Id: rec.Id})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if res.Record.GetId() != rec.Id {
			t.Errorf("get returned %v, want record %s", res.Record, rec.Id)
		}
	})
	t.Run("without tls_ca", func(t *testing.T) {
		t.Parallel()
		client, _, stop, err := databrokerClient(loadFlags(t, args...), testr.New(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		t.Cleanup(func() { _ = client.Close() })
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err = client.Put(ctx, []*pb.Record{rec})
		if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Fatalf("put to a databroker the system roots do not trust: %v, want a certificate error", err)
		}
	})
}

// The JWKS is fetched trusting tls_ca too.
func TestJWKSClientTrustsTLSCA(t *testing.T) {
	t.Parallel()
	ca := testcert.NewCA(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "127.0.0.1")}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	roots, err := loadFlags(t, "--tls-ca", string(ca.CertPEM)).RootCAs()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := jwksClient(roots).Do(req)
	if err != nil {
		t.Fatalf("fetch from a server whose certificate tls_ca signed: %v", err)
	}
	_ = res.Body.Close() // only the handshake matters here
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %s", res.Status)
	}
}

// tlsDatabroker serves an embedded databroker over TLS, with a certificate
// ca issued for 127.0.0.1, and returns its https:// URL.
func tlsDatabroker(t *testing.T, ca *testcert.CA, secret []byte) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "127.0.0.1")}, MinVersion: tls.VersionTLS12})
	gs := grpc.NewServer(grpc.Creds(creds))
	memory.New(memory.Options{SharedSecret: secret, Logger: testr.New(t)}).Register(gs)
	go func() {
		if err := gs.Serve(lis); err != nil {
			t.Errorf("serve databroker over TLS: %v", err)
		}
	}()
	t.Cleanup(gs.Stop)
	return "https://" + lis.Addr().String()
}

// loadFlags loads the configuration that args, as flags, give.
func loadFlags(t *testing.T, args ...string) *config.Config {
	t.Helper()
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	config.RegisterFlags(flags)
	if err := flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	cfg, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"), false, flags, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func structRecord(t *testing.T, id string) *pb.Record {
	t.Helper()
	data, err := anypb.New(&structpb.Struct{Fields: map[string]*structpb.Value{"id": structpb.NewStringValue(id)}})
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Record{Type: "type.googleapis.com/google.protobuf.Struct", Id: id, Data: data}
}
