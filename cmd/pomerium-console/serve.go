package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/reconcile"
)

func newServe() *cobra.Command {
	var resync time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the console: the store, the reconcile loop, the API and metrics",
		Args:  cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			log.Info("starting", "version", version, "config", cfg)
			return serve(cmd.Context(), cfg, log, resync)
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().DurationVar(&resync, "resync-interval", time.Minute, "how often the reconcile loop re-reads desired state without being woken")
	return cmd
}

func serve(ctx context.Context, cfg *config.Config, log logr.Logger, resync time.Duration) error {
	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	client, stopBroker, err := databrokerClient(cfg, log)
	if err != nil {
		return err
	}
	defer stopBroker()
	defer func() {
		if err := client.Close(); err != nil {
			log.Error(err, "close databroker client")
		}
	}()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	host, _ := os.Hostname() // an empty host name still leaves the pid to tell instances apart
	loop := reconcile.New(reconcile.Options{
		Store: st, Client: client, Instance: fmt.Sprintf("%s/%d", host, os.Getpid()),
		ResyncInterval: resync, Logger: log.WithName("reconcile"), Metrics: reconcile.NewMetrics(reg),
	})
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return loop.Run(ctx) })
	g.Go(func() error { return serveAPI(ctx, cfg, st, log) })
	if cfg.MetricsAddr != "" {
		g.Go(func() error { return serveMetrics(ctx, cfg.MetricsAddr, reg, log) })
	}
	log.Info("console running")
	err = g.Wait()
	log.Info("shut down")
	return err
}

// databrokerClient connects to the configured databroker, or starts the
// embedded one on loopback when none is configured.
func databrokerClient(cfg *config.Config, log logr.Logger) (*databroker.Client, func(), error) {
	url, secret := cfg.DatabrokerServiceURL, cfg.SharedSecret()
	stop := func() {}
	if url == "" {
		if len(secret) == 0 {
			secret = make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return nil, nil, fmt.Errorf("generate shared secret for the embedded databroker: %w", err)
			}
		}
		srv := memory.New(memory.Options{SharedSecret: secret, Logger: log.WithName("databroker")})
		addr, err := srv.Start("127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("start embedded databroker: %w", err)
		}
		url, stop = "http://"+addr.String(), srv.Stop
		log.Info("embedded databroker listening (no databroker_service_url configured)", "url", url)
	}
	client, err := databroker.Dial(databroker.Options{URL: url, SharedSecret: secret, Logger: log.WithName("databroker-client")})
	if err != nil {
		stop()
		return nil, nil, err
	}
	return client, stop, nil
}

func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, log logr.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics_addr: %w", err)
	}
	log.Info("metrics listening", "addr", lis.Addr().String())
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Error(err, "stop metrics server")
		}
	}()
	if err := srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
