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
	root.AddCommand(newServe(), newMigrate(), newImport(), newVersion())
	return root
}

// loadConfig reads the config file, the environment and the flags of cmd.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	path, explicit := config.PathFromFlags(cmd.Flags())
	return config.Load(path, explicit, cmd.Flags(), os.LookupEnv)
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
