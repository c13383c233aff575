package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

func newMigrate() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit (serve applies them too)",
		Long: "Apply the database migrations this console has and the store lacks, and exit (serve applies them too).\n" +
			"Migrations only go forward: back up first (pomerium-console backup) to be able to go back.",
		Args: cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			n, err := backend.Migrate(cmd.Context(), storeOptions(cfg, log))
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "applied %d migrations\n", n)
			return err
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.AddCommand(newMigrateStatus())
	return cmd
}

func newMigrateStatus() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status [--config FILE]",
		Short: "List the migrations, applied and pending, changing nothing",
		Args:  cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			schema, err := backend.ReadSchema(cmd.Context(), storeOptions(cfg, log))
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
			applied, pending, unknown := 0, 0, 0
			for _, m := range schema.Migrations {
				state, at, file := "pending", "", m.File
				switch {
				case m.File == "":
					state, file, unknown = "applied", "(unknown to this console: a newer one applied it)", unknown+1
				case m.Applied:
					state = "applied"
				default:
					pending++
				}
				if m.Applied {
					applied++
					at = m.AppliedAt.Format("2006-01-02 15:04:05Z07:00")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", m.Version, state, at, file)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d applied, %d pending, %d unknown to this console\n", applied, pending, unknown)
			return err
		}),
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}
