package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
)

// newDatabroker is the embedded databroker as a process of its own: what
// serve starts inside itself when no databroker_service_url is configured,
// served on an address of the caller's choosing. It is hidden: operators run
// Pomerium's databroker; this one lets tests and trials put a network link
// (a proxy, a cut) between serve and a databroker that outlives serve.
func newDatabroker() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "databroker",
		Short:  "The embedded databroker as a process of its own (for tests and trials)",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	var addr string
	srv := &cobra.Command{
		Use:   "serve",
		Short: "Serve the embedded in-memory databroker on --addr until stopped",
		Long: "Serves the embedded in-memory databroker (plaintext gRPC, meant for loopback) on --addr; " +
			"calls must carry a token signed with shared_secret, as Pomerium's databroker asks. " +
			"Prints one line, \"listening on HOST:PORT\", on standard output once it accepts calls. " +
			"Its records live in memory: a restart comes back empty under a new server version.",
		Args: cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			setMemoryLimit(log, memlimit.FromCgroup)
			return serveDatabroker(cmd.Context(), addr, cfg.SharedSecret(), cmd.OutOrStdout(), log)
		}),
	}
	config.RegisterFlags(srv.Flags())
	srv.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "HOST:PORT to listen on; port 0 picks a free one")
	cmd.AddCommand(srv)
	return cmd
}

// serveDatabroker serves the embedded databroker on addr until ctx ends.
func serveDatabroker(ctx context.Context, addr string, secret []byte, out io.Writer, log logr.Logger) error {
	if len(secret) == 0 {
		return errors.New("shared_secret: required: the databroker refuses every call without it")
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	srv := memory.New(memory.Options{SharedSecret: secret, Logger: log.WithName("databroker")})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	if _, err := fmt.Fprintf(out, "listening on %s\n", lis.Addr()); err != nil {
		srv.Stop()
		return fmt.Errorf("write the address: %w", err)
	}
	select {
	case <-ctx.Done():
		srv.Stop()
		<-served
		log.Info("databroker stopped")
		return nil
	case err := <-served:
		return err
	}
}
