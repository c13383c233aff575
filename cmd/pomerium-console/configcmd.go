package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/internal/english"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration"}
	cmd.AddCommand(newConfigValidate())
	return cmd
}

func newConfigValidate() *cobra.Command {
	var connect bool
	cmd := &cobra.Command{
		Use:   "validate [--config FILE] [--connect] [flags]",
		Short: "Check the configuration and list every problem with its key and where it was set",
		Long: "Read the configuration as serve would (the config file, the environment, the flags) and list every\n" +
			"problem at once, each with its key and where it was set (file and line, env VAR, --flag); exit 1 if\n" +
			"there is any. A valid configuration is printed with secrets redacted and the origin of each value.\n" +
			"With --connect, also connect to the store (changing nothing) and to the databroker.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, explicit := config.PathFromFlags(cmd.Flags())
			cfg, err := config.Load(path, explicit, cmd.Flags(), os.LookupEnv)
			problems := config.Problems(err)
			var reached []string
			if err == nil {
				problems = config.Check(cfg)
				if connect && len(problems) == 0 {
					var more []*config.KeyError
					reached, more = reach(cmd.Context(), cfg)
					problems = append(problems, more...)
				}
			}
			if len(problems) > 0 {
				for _, p := range problems {
					if _, err := fmt.Fprintln(cmd.ErrOrStderr(), describeProblem(p)); err != nil {
						return err
					}
				}
				return fmt.Errorf("config validate: %s", english.Plural(len(problems), "problem"))
			}
			return printValid(cmd.OutOrStdout(), path, explicit, cfg, reached)
		},
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().BoolVar(&connect, "connect", false, "also connect to the store and the databroker")
	return cmd
}

// describeProblem writes a problem as "key (origin): reason".
func describeProblem(p *config.KeyError) string {
	switch {
	case p.Key == "":
		return p.Err.Error()
	case p.Origin == "":
		return fmt.Sprintf("%s (not set): %v", p.Key, p.Err)
	}
	return p.Error()
}

func printValid(w io.Writer, path string, explicit bool, cfg *config.Config, reached []string) error {
	file := path
	if _, err := os.Stat(path); err != nil && !explicit {
		file = path + " (absent: defaults, environment and flags only)"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "configuration is valid: %s\n", file)
	for _, s := range cfg.Settings() {
		origin := s.Origin
		switch {
		case origin != "":
		case s.Value == "":
			origin = "not set"
		default:
			origin = "default"
		}
		fmt.Fprintf(tw, "  %s\t%s\t(%s)\n", s.Key, s.Value, origin)
	}
	for _, line := range reached {
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// reach connects to the configured store and databroker, changing
// nothing, and returns what it found and what is wrong, each problem on
// the key to fix.
func reach(ctx context.Context, cfg *config.Config) ([]string, []*config.KeyError) {
	var found []string
	var problems []*config.KeyError
	problem := func(key string, err error) {
		problems = append(problems, &config.KeyError{Key: key, Origin: cfg.Origin(key), Err: err})
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	where := "data_dir"
	if cfg.DatabaseURL() != "" {
		where = "database_url"
	}
	schema, err := backend.Reach(sctx, storeOptions(cfg, logr.Discard()))
	switch {
	case errors.Is(err, store.ErrWrongEncryptionKey):
		problem("database_encryption_key", err)
	case err != nil:
		problem(where, fmt.Errorf("cannot read the store: %w", err))
	default:
		applied, unknown := 0, 0
		for _, m := range schema.Migrations {
			if m.Applied {
				applied++
			}
			if m.File == "" {
				unknown++
			}
		}
		if unknown > 0 {
			problem(where, fmt.Errorf("the store has %d migrations this console does not know: a newer console upgraded it (migrations only go forward; restore a backup taken before the upgrade to go back)", unknown))
		}
		found = append(found, fmt.Sprintf("store: reached, %d of %d migrations applied", applied, len(schema.Migrations)))
	}
	if cfg.DatabrokerServiceURL == "" {
		return append(found, "databroker: none configured; serve runs an embedded one"), problems
	}
	info, err := serverInfo(ctx, cfg)
	switch code := status.Code(err); {
	case code == codes.Unauthenticated || code == codes.PermissionDenied:
		problem("shared_secret", fmt.Errorf("the databroker refuses it: %w", err))
	case err != nil:
		problem("databroker_service_url", fmt.Errorf("cannot reach the databroker: %w", err))
	default:
		found = append(found, fmt.Sprintf("databroker: reached, server version %d", info.GetServerVersion()))
	}
	return found, problems
}

func serverInfo(ctx context.Context, cfg *config.Config) (interface{ GetServerVersion() uint64 }, error) {
	roots, err := cfg.RootCAs()
	if err != nil {
		return nil, err
	}
	client, err := databroker.Dial(databroker.Options{URL: cfg.DatabrokerServiceURL, SharedSecret: cfg.SharedSecret(), RootCAs: roots, Logger: logr.Discard()})
	if err != nil {
		return nil, err
	}
	defer client.Close() //nolint:errcheck // a check's connection; closing it says nothing new
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return client.ServerInfo(ctx)
}
