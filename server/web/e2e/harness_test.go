package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-logr/logr"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/screens"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

var (
	srv            *pgtest.Server
	screenshotsDir = flag.String("screenshots", "", "write a screenshot of every screen, light and dark, into this folder")
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(pgtest.Main(m, &srv))
}

// console is the whole console running in process.
type console struct {
	store  store.Store
	auth   *auth.Authenticator
	broker *databroker.Client
	// pomerium signs the assertions of users who come through Pomerium.
	pomerium *ecdsa.PrivateKey
	// url is the web console's address, on localhost over plain HTTP as
	// `make run` serves it.
	url string
}

func startConsole(t *testing.T) *console {
	t.Helper()
	ctx := t.Context()
	st := webtest.Postgres(t, srv)
	client := webtest.Databroker(t)
	loop := reconcile.New(reconcile.Options{Store: st, Client: client, Instance: "e2e", Logger: logr.Discard()})
	loopCtx, stopLoop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = loop.Run(loopCtx) }()
	t.Cleanup(func() { stopLoop(); <-done })

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, auth.Options{Store: st, Audience: []string{webtest.Audience}, Administrators: []string{webtest.Admin}, Logger: logr.Discard(),
		SigningKey: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})})
	if err != nil {
		t.Fatal(err)
	}
	brokers := manage.DatabrokerFunc(func(id string) (databrokerpb.DataBrokerServiceClient, error) {
		if id != store.DefaultClusterID {
			return nil, fmt.Errorf("cluster %s is not connected in this test", id)
		}
		return client.RPC(), nil
	})
	app := manage.New(manage.Options{Store: st, Tokens: a, Probe: webtest.Probe, Databrokers: brokers, Logger: logr.Discard()})
	w, err := web.New(ctx, web.Options{App: app, Store: st, Auth: a, Databroker: client, Logger: logr.Discard()}, screens.All()...)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(lis) }()
	t.Cleanup(func() { _ = hs.Close() })
	port := lis.Addr().(*net.TCPAddr).Port
	return &console{store: st, auth: a, broker: client, pomerium: key, url: "http://localhost:" + strconv.Itoa(port)}
}

// chromium starts a headless Chromium with a fresh profile and returns a
// context to drive it; the test's cleanup stops it.
func chromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run hack/install-chromium.sh (make deps)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		// Close the browser and wait for it, so that it has stopped writing
		// to its profile before the profile's folder is removed.
		if err := chromedp.Cancel(ctx); err != nil {
			t.Logf("close chromium: %v", err)
		}
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs browser actions with a deadline, failing the test on error.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
