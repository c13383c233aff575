// Command pomerium-console is the management plane of Pomerium: it keeps
// desired state and pushes it into Pomerium's databroker.
//
// This file and its siblings only wire packages together; behaviour lives in
// the packages they call.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pomerium-console:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "pomerium-console",
		Short:         "The management plane of Pomerium: desired state in, databroker records out",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newMigrate(), newImport(), newVersion(), newRecoveryToken())
	return root
}

// configured wraps a command body with what every command needs first: the
// configuration (file, environment, flags) and a logger at its level.
func configured(run func(cmd *cobra.Command, args []string, cfg *config.Config, log logr.Logger) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		path, explicit := config.PathFromFlags(cmd.Flags())
		cfg, err := config.Load(path, explicit, cmd.Flags(), os.LookupEnv)
		if err != nil {
			return err
		}
		log, flush, err := newLogger(cfg.LogLevel)
		if err != nil {
			return err
		}
		defer flush()
		return run(cmd, args, cfg, log)
	}
}

// openStore opens the configured store; close logs what closing it reports.
func openStore(ctx context.Context, cfg *config.Config, log logr.Logger) (st store.Store, closeStore func(), err error) {
	st, err = backend.Open(ctx, storeOptions(cfg, log))
	if err != nil {
		return nil, nil, err
	}
	return st, func() {
		if err := st.Close(); err != nil {
			log.Error(err, "close store")
		}
	}, nil
}

func storeOptions(cfg *config.Config, log logr.Logger) backend.Options {
	return backend.Options{
		DatabaseURL: cfg.DatabaseURL(), EncryptionKey: cfg.EncryptionKey(), DataDir: cfg.DataDir, Logger: log,
	}
}

// newLogger returns a structured JSON logger at the configured level.
func newLogger(level string) (logr.Logger, func(), error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return logr.Discard(), nil, fmt.Errorf("log_level: %w", err)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	cfg.EncoderConfig.TimeKey = "time"
	cfg.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	z, err := cfg.Build()
	if err != nil {
		return logr.Discard(), nil, fmt.Errorf("logger: %w", err)
	}
	// Sync fails on terminals and pipes (ENOTTY/EINVAL); nothing is lost
	// that a caller could act on.
	return zapr.NewLogger(z), func() { _ = z.Sync() }, nil
}
