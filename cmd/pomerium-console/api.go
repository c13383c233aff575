package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/tlsutil"
	"github.com/pomerium-console/pomerium-console/store"
)

// serveAPI serves the pomerium.dashboard API over TLS on grpc_addr until
// ctx ends.
func serveAPI(ctx context.Context, cfg *config.Config, st store.Store, log logr.Logger) error {
	authn, err := auth.New(ctx, auth.Options{
		Store: st, Audience: cfg.Audience, Administrators: cfg.Administrators,
		SigningKey: cfg.SigningKey(), JWKSURL: cfg.SigningKeyJWKSURL, Logger: log.WithName("auth"),
	})
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	host, _ := os.Hostname()
	tlsConfig, err := tlsutil.ServerConfig(cfg.TLSCert(), cfg.TLSKey(), []string{host}, log.WithName("tls"))
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("grpc_addr: %w", err)
	}
	srv := &http.Server{
		Handler:           api.New(api.Options{Store: st, Auth: authn, Logger: log.WithName("api")}).Handler(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Info("API listening (gRPC, gRPC-Web and Connect over TLS)", "addr", lis.Addr().String())
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Error(err, "stop API server")
		}
	}()
	// The certificate is in TLSConfig; ServeTLS also enables HTTP/2, which
	// gRPC needs.
	if err := srv.ServeTLS(lis, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("API: %w", err)
	}
	return nil
}
