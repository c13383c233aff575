package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
	"github.com/pomerium-console/pomerium-console/server/tlsutil"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/screens"
	"github.com/pomerium-console/pomerium-console/store"
)

// serveSurfaces serves the pomerium.dashboard API over TLS on grpc_addr and
// the web console on bind_addr until ctx ends. Both identify callers with
// one authenticator and change state through the same services.
func serveSurfaces(ctx context.Context, cfg *config.Config, st store.Store, broker *databroker.Client, brokerURL string, brokers manage.Databrokers, chain *manage.ChainWatch, up *listeners, log logr.Logger) error {
	roots, err := cfg.RootCAs()
	if err != nil {
		return err
	}
	authn, err := auth.New(ctx, auth.Options{
		Store: st, Audience: cfg.Audience, Administrators: cfg.Administrators,
		SigningKey: cfg.SigningKey(), JWKSURL: cfg.SigningKeyJWKSURL, HTTPClient: jwksClient(roots),
		SharedSecret: cfg.SharedSecret(), Logger: log.WithName("auth"),
	})
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	host, _ := os.Hostname()
	tlsConfig, err := tlsutil.ServerConfig(cfg.TLSCert(), cfg.TLSKey(), []string{host}, log.WithName("tls"))
	if err != nil {
		return err
	}
	app := manage.New(manage.Options{Store: st, Tokens: authn, DefaultClusterURL: brokerURL,
		Probe: func(ctx context.Context, c *store.Cluster) error {
			return reconcile.ProbeCluster(ctx, c, log.WithName("databroker-client").WithValues("cluster", c.Name))
		}, Databrokers: brokers, DefaultSharedSecret: cfg.SharedSecret(), Logger: log.WithName("manage"),
		Fetcher: datasource.NewFetcher(datasource.NewGuard(cfg.AllowedDataSourceNetworks()), datasource.Limits{})})
	// One limit for both surfaces: an address's sign-in attempts and
	// failed API calls count together.
	limit := ratelimit.New(ratelimit.Options{Burst: cfg.AuthRateLimit, TrustedProxies: cfg.TrustedProxyNetworks()})
	apiServer := api.New(api.Options{App: app, Auth: authn, Logger: log.WithName("api"), Version: version, AuthLimit: limit})
	console, err := web.New(ctx, web.Options{
		App: app, Store: st, Auth: authn, Databroker: broker, ActivityChain: chain, Logger: log.WithName("web"), SigninLimit: limit,
	}, screens.All()...)
	if err != nil {
		return fmt.Errorf("web console: %w", err)
	}
	// One listener failing (an address in use) stops the other.
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return listen(ctx, "grpc_addr", cfg.GRPCAddr, apiServer.Handler(), tlsConfig, up, log,
			"API listening (gRPC, gRPC-Web and Connect over TLS)")
	})
	g.Go(func() error {
		// The web console speaks TLS when the config names a certificate;
		// without one it is meant to sit behind Pomerium (or be opened on
		// localhost), and a self-signed certificate would only be a browser
		// warning.
		var webTLS *tls.Config
		if len(cfg.TLSCert()) > 0 {
			webTLS = tlsConfig
		}
		return listen(ctx, "bind_addr", cfg.BindAddr, console.Handler(), webTLS, up, log, "web console listening")
	})
	return g.Wait()
}

// jwksClient fetches signing_key_jwks_url trusting roots; nil roots leave
// auth its default client, which trusts the system roots.
func jwksClient(roots *x509.CertPool) *http.Client {
	if roots == nil {
		return nil
	}
	// A clone keeps the default transport's proxy settings, timeouts and
	// HTTP/2.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: auth.DefaultJWKSTimeout, Transport: t}
}

// listen serves h on addr (TLS when tlsConfig is set) until ctx ends, and
// tells up once it listens.
func listen(ctx context.Context, key, addr string, h http.Handler, tlsConfig *tls.Config, up *listeners, log logr.Logger, msg string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	up.bound()
	srv := &http.Server{Handler: h, TLSConfig: tlsConfig, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	log.Info(msg, "addr", lis.Addr().String(), "url", scheme+"://"+urlHost(lis.Addr())+"/")
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Error(err, "stop server", "listener", key)
		}
	}()
	if tlsConfig != nil {
		// The certificate is in TLSConfig; ServeTLS also enables HTTP/2,
		// which gRPC needs.
		err = srv.ServeTLS(lis, "", "")
	} else {
		err = srv.Serve(lis)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// urlHost is the host:port to put in a URL for a listener: localhost for a
// loopback or unspecified address, so the URL opens in a browser.
func urlHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
		return a.String()
	}
	return a.String()
}
