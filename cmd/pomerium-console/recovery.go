package main

import (
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

func newRecoveryToken() *cobra.Command {
	var namespace, out string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "generate-recovery-token [--config FILE] [--namespace NAME] [--ttl 1h] [--out FILE]",
		Short: "Print a token that makes its bearer an admin of a namespace for a while",
		Long: "Print a recovery token: for its ttl (at most " + auth.MaxRecoveryTTL.String() + ") its bearer is an admin of the namespace\n" +
			"and the namespaces below it. Send it as \"authorization: Pomerium <token>\". It needs direct access to the\n" +
			"store (database_url and database_encryption_key, or data_dir), which is what makes it a way back in\n" +
			"when nobody can sign in. The token is the last line of the output, or is written to --out (mode 0600).",
		Args: cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			// Checked before the store is opened, so a typo costs nothing.
			if err := auth.CheckRecoveryTTL(ttl); err != nil {
				return fmt.Errorf("--ttl: %w", err)
			}
			ctx := cmd.Context()
			st, closeStore, err := openStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer closeStore()
			nsID, err := store.ResolveNamespace(ctx, st, namespace)
			if err != nil {
				return fmt.Errorf("--namespace %q: %w", namespace, err)
			}
			a, err := auth.New(ctx, auth.Options{Store: st, Logger: log})
			if err != nil {
				return err
			}
			token, err := a.IssueRecoveryToken(ctx, nsID, ttl)
			if err != nil {
				return err
			}
			expires := time.Now().Add(ttl).UTC().Format(time.RFC3339)
			if out == "" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "recovery token for namespace %s, valid until %s:\n%s\n", nsID, expires, token)
				return err
			}
			if err := writeSecretFile(out, token+"\n"); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote a recovery token for namespace %s, valid until %s, to %s\n", nsID, expires, out)
			return err
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&namespace, "namespace", "", `namespace the token is admin of: a path such as "Global/Production", or an id (default Global)`)
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "how long the token is valid, at most "+auth.MaxRecoveryTTL.String())
	cmd.Flags().StringVar(&out, "out", "", "write the token to this file (mode 0600) instead of printing it")
	return cmd
}

// writeSecretFile writes content to path readable by its owner only, also
// when the file already existed with a wider mode.
func writeSecretFile(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		// The error of Chmod is the one to report; the file is abandoned.
		_ = f.Close()
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		_ = f.Close() // the write error is the one to report
		return err
	}
	return f.Close()
}
