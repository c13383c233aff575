// Command pomerium-console is the management plane of Pomerium: it keeps
// desired state and pushes it into Pomerium's databroker.
//
// This file and its siblings only wire packages together; behaviour lives in
// the packages they call.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"

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
	root.AddCommand(newServe(), newMigrate(), newImport(), newVersion(), newRecoveryToken(),
		newConfigCmd(), newBackup(), newRestore(), newExport(), newApply(), newDatabroker(), newActivity())
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
		log, flush, err := newLogger(cfg.LogLevel, cfg.LogFormat, zapcore.Lock(os.Stderr), stderrIsTerminal())
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

// stderrIsTerminal reports whether standard error is a terminal, where a
// person reads what the console writes.
func stderrIsTerminal() bool { return isTerminal(os.Stderr) }

// isTerminal reports whether w is a terminal: a command that writes to
// another writer (a test's buffer) writes for a program.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newLogger returns a structured logger at the configured level that writes
// to w in the configured format: JSON, one object a line, for journald,
// container runtimes and log shippers; console lines for a person; auto
// picks console when w is a terminal and JSON otherwise.
func newLogger(level, format string, w zapcore.WriteSyncer, terminal bool) (logr.Logger, func(), error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return logr.Discard(), nil, fmt.Errorf("log_level: %w", err)
	}
	if format == config.LogFormatAuto {
		format = config.LogFormatJSON
		if terminal {
			format = config.LogFormatConsole
		}
	}
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	opts := []zap.Option{zap.ErrorOutput(w)}
	var encoder zapcore.Encoder
	switch format {
	case config.LogFormatJSON:
		encoder = zapcore.NewJSONEncoder(enc)
		opts = append(opts, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel))
	case config.LogFormatConsole:
		// A person reads these: local time to the millisecond, the level
		// (in colour on a terminal), the message and its fields; no caller
		// or stack trace.
		enc.EncodeTime = zapcore.TimeEncoderOfLayout("2006-01-02 15:04:05.000")
		enc.EncodeLevel = zapcore.CapitalLevelEncoder
		if terminal {
			enc.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		encoder = zapcore.NewConsoleEncoder(enc)
	default:
		return logr.Discard(), nil, fmt.Errorf("log_format: %q is not one of auto, console, json", format)
	}
	z := zap.New(zapcore.NewCore(encoder, w, zap.NewAtomicLevelAt(lvl)), opts...)
	// Sync fails on terminals and pipes (ENOTTY/EINVAL); nothing is lost
	// that a caller could act on.
	return zapr.NewLogger(z), func() { _ = z.Sync() }, nil
}
